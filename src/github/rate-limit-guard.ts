import type { Redis } from "ioredis";
import { requestedDelayMs } from "../work/retry-policy.js";
import type { GitHubPort } from "./github-port.js";

/** GitHub asked us to wait; the job is retried after `retryAfterMs`. */
export class GitHubRateLimitedError extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`GitHub rate limit: waiting ${Math.ceil(retryAfterMs / 1000)} s before the next request`);
    this.name = "GitHubRateLimitedError";
  }
}

function isRateLimit(error: unknown): boolean {
  const e = error as { status?: number; message?: string; response?: { headers?: Record<string, string | undefined> } };
  if (e?.status === 429) return true;
  if (e?.status !== 403) return false;
  const headers = e.response?.headers ?? {};
  return headers["retry-after"] !== undefined || headers["x-ratelimit-remaining"] === "0" || /rate limit/i.test(e.message ?? "");
}

/**
 * Makes a rate limit seen by one request hold back every request of the installation, on every replica: the
 * pause is stored in Redis until the time GitHub gave (Retry-After or the reset time), and calls made before
 * then fail fast with GitHubRateLimitedError so their jobs are retried after it instead of hammering GitHub.
 */
export function guardRateLimits(port: GitHubPort, redis: Redis, key: string): GitHubPort {
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const pausedMs = await redis.pttl(key);
      if (pausedMs > 0) throw new GitHubRateLimitedError(pausedMs);
      try {
        return await call(...args);
      } catch (error) {
        if (!isRateLimit(error)) throw error;
        const waitMs = requestedDelayMs(error) ?? 60_000;
        await redis.set(key, "1", "PX", Math.max(1, waitMs));
        throw new GitHubRateLimitedError(waitMs);
      }
    };
  return Object.fromEntries(Object.entries(port).map(([name, fn]) => [name, guard(fn as (...a: unknown[]) => Promise<unknown>)])) as unknown as GitHubPort;
}
