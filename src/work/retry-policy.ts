/** How long to wait before retrying a failed job: what the server asked for, else exponential backoff with jitter. */

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 10, baseMs: 1_000, maxMs: 60_000 };

/** A delay the failing service asked for: Retry-After, GitHub's rate-limit reset, or our own lock hint. */
export function requestedDelayMs(error: unknown, now = Date.now()): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { retryAfterMs?: number; status?: number; response?: { headers?: Record<string, string | undefined> }; cause?: unknown };
  if (typeof e.retryAfterMs === "number") return e.retryAfterMs;
  const headers = e.response?.headers;
  if (headers) {
    const retryAfter = Number(headers["retry-after"]);
    if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000;
    if (headers["x-ratelimit-remaining"] === "0" && headers["x-ratelimit-reset"]) {
      return Math.max(0, Number(headers["x-ratelimit-reset"]) * 1000 - now);
    }
  }
  return e.cause ? requestedDelayMs(e.cause, now) : undefined;
}

export function retryDelayMs(policy: RetryPolicy, attemptsMade: number, error: unknown): number {
  const asked = requestedDelayMs(error);
  if (asked !== undefined) return Math.min(asked + 100, 15 * 60_000);
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exp * (0.75 + Math.random() * 0.5));
}
