import type { Redis } from "ioredis";
import { SlackApiError, type SlackPort } from "./slack-port.js";

/**
 * Slack's rate limits are per method and workspace, not per message: once a call is told `ratelimited`, every
 * call of that method, from any job on any replica, waits until Retry-After has passed. The pause lives in
 * Redis; calls made during it fail fast with the time left, and their jobs are retried after it.
 */
export function guardSlackRateLimits(port: SlackPort, redis: Redis, prefix: string): SlackPort {
  const guard =
    <A extends unknown[], R>(method: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const key = `${prefix}slack:paused:${method}`;
      const pausedMs = await redis.pttl(key);
      if (pausedMs > 0) throw new SlackApiError(method, "ratelimited", true, pausedMs);
      try {
        return await call(...args);
      } catch (error) {
        if (error instanceof SlackApiError && error.retryAfterMs !== undefined) await redis.set(key, "1", "PX", Math.max(1, error.retryAfterMs));
        throw error;
      }
    };
  return {
    postMessage: guard("postMessage", port.postMessage),
    updateMessage: guard("updateMessage", port.updateMessage),
    userGroupMembers: guard("userGroupMembers", port.userGroupMembers),
    respond: port.respond, // each response_url has its own limit (five answers)
  };
}
