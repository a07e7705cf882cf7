import { SlackApiError, type SlackPort } from "../slack/slack-port.js";
import type { Metrics } from "./metrics.js";
import { observePort } from "./observe-port.js";

/** Slack's error code (a bounded set such as `channel_not_found`), an HTTP status, or "unreachable". */
function outcomeOf(error: unknown): string {
  if (!(error instanceof SlackApiError)) return "error";
  if (error.code === "ratelimited") return "rate_limited";
  const status = /^HTTP (\d{3})$/.exec(error.code)?.[1];
  if (status) return status;
  return /^[a-z_]{1,64}$/.test(error.code) ? error.code : "unreachable";
}

/**
 * Counts and times every SlackPort call by method and outcome. Wraps the rate-limit guard, so a call held back
 * by a method's pause counts as `rate_limited` (and in `mario_rate_limited_total{api="slack"}`), as for GitHub.
 */
export function observeSlack(port: SlackPort, metrics: Metrics): SlackPort {
  return observePort(port, metrics, "slack", outcomeOf, (outcome) => {
    if (outcome === "rate_limited") metrics.rateLimited("slack");
  });
}
