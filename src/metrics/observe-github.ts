import { GitHubRateLimitedError } from "../github/rate-limit-guard.js";
import type { GitHubPort } from "../github/github-port.js";
import type { Metrics } from "./metrics.js";
import { observePort } from "./observe-port.js";

/** An HTTP status when the error carries one, else "error". */
function outcomeOf(error: unknown): string {
  if (error instanceof GitHubRateLimitedError) return "rate_limited";
  const status = (error as { status?: unknown })?.status;
  return typeof status === "number" ? String(status) : "error";
}

/**
 * Counts and times every GitHubPort call by method and outcome. Wraps the rate-limit guard, so a call held back
 * by an installation-wide pause counts as `rate_limited` (and in `mario_rate_limited_total`).
 */
export function observeGitHub(port: GitHubPort, metrics: Metrics): GitHubPort {
  return observePort(port, metrics, "github", outcomeOf, (outcome) => {
    if (outcome === "rate_limited") metrics.rateLimited("github");
  });
}

interface HookedOctokit {
  hook: { after(name: "request", fn: (response: { headers: Record<string, string | number | undefined> }) => void): void };
}

/** Keeps `mario_github_rate_limit_remaining` from the headers of every response the installation's client gets. */
export function observeRateLimitRemaining(octokit: unknown, installationId: number, metrics: Metrics): void {
  const hook = (octokit as Partial<HookedOctokit>).hook;
  if (typeof hook?.after !== "function") return;
  hook.after("request", (response) => {
    const remaining = Number(response.headers["x-ratelimit-remaining"]);
    if (Number.isFinite(remaining)) metrics.githubRateLimitRemaining(installationId, remaining);
  });
}
