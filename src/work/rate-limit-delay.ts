import { GitHubRateLimitedError } from "../github/rate-limit-guard.js";
import { kubeStatusCode } from "../kube/kube-errors.js";
import { SlackApiError } from "../slack/slack-port.js";
import type { Attempt } from "./work-queue.js";

/** Waits asked for with no time given (a Kubernetes 429 without Retry-After, a Slack answer without one). */
const defaultWaitMs = { kubernetes: 5_000, slack: 30_000 };
/** One wait is never longer than this: a wrong header must not park a job for a day. */
const maxWaitMs = 60 * 60_000;
const bounded = (ms: number) => Math.min(Math.max(0, ms) + 100, maxWaitMs);

/**
 * The wait a service asked for when it rate limited mario — GitHub's primary and secondary limits (seen by the
 * installation's rate-limit guard), Slack's `ratelimited`, a Kubernetes 429 — wherever it sits in the error's
 * cause chain (handlers wrap errors, e.g. RetryLaterError). Undefined for every other error.
 */
export function rateLimitDelayMs(error: unknown): number | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 8 && typeof e === "object" && e !== null; depth++, e = (e as { cause?: unknown }).cause) {
    const asked = (e as { retryAfterMs?: unknown }).retryAfterMs;
    const given = typeof asked === "number" && Number.isFinite(asked) && asked >= 0 ? asked : undefined;
    if (e instanceof GitHubRateLimitedError) return bounded(e.retryAfterMs);
    if (e instanceof SlackApiError && e.code === "ratelimited") return bounded(given ?? defaultWaitMs.slack);
    // observeTekton puts the 429's Retry-After on the error as `retryAfterMs`.
    if (!(e instanceof SlackApiError) && kubeStatusCode(e) === 429) return bounded(given ?? defaultWaitMs.kubernetes);
  }
  return undefined;
}

/**
 * Whether the work gives up with this error: its last attempt failed for a reason other than a rate limit (a
 * rate-limited job is put off without using an attempt, so it is never the last word).
 */
export const givesUp = (attempt: Attempt, error: unknown): boolean => attempt.number >= attempt.of && rateLimitDelayMs(error) === undefined;
