import type { types } from "@slack/bolt";

export type SlackBlock = types.KnownBlock;

/** A Slack message: `text` is the notification and accessibility fallback, `blocks` what people see. */
export interface SlackMessage {
  text: string;
  blocks?: SlackBlock[];
}

/** What mario needs from Slack; the core never sees Bolt or the Web API client. */
export interface SlackPort {
  /** Posts to a channel; returns the message's `ts`. */
  postMessage(channel: string, message: SlackMessage): Promise<string>;
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** User ids of a user group's members. */
  userGroupMembers(groupId: string): Promise<string[]>;
  /** Answers a slash command or button press through its `response_url` (ephemeral: only that person sees it). */
  respond(responseUrl: string, message: SlackMessage): Promise<void>;
}

/**
 * A failed Slack call. `retryAfterMs` (rate limited) is honoured by the job queue's retry policy; `retryable`
 * tells transient trouble (5xx, network, `internal_error`) from mistakes that would fail again
 * (`channel_not_found`, `message_not_found`, `invalid_auth`).
 */
export class SlackApiError extends Error {
  constructor(
    readonly method: string,
    readonly code: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(`Slack ${method} failed: ${code}${retryAfterMs !== undefined ? ` (retry after ${Math.round(retryAfterMs / 1000)}s)` : ""}`);
    this.name = "SlackApiError";
  }
}

export const isSlackError = (error: unknown, ...codes: string[]): error is SlackApiError =>
  error instanceof SlackApiError && (codes.length === 0 || codes.includes(error.code));
