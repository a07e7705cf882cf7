/**
 * Requests as Slack sends them to an app: slash commands (form-encoded) and interactivity payloads
 * (form field `payload` holding JSON), signed with the app's signing secret (`v0=` HMAC-SHA256 of
 * `v0:{timestamp}:{body}`).
 */
import { createHmac, randomUUID } from "node:crypto";

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function signSlackBody(secret: string, body: string, contentType: string, timestamp = Math.floor(Date.now() / 1000)): SignedRequest {
  const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
  return { body, headers: { "content-type": contentType, "x-slack-request-timestamp": String(timestamp), "x-slack-signature": signature } };
}

export interface SlashCommandFields {
  text: string;
  userId: string;
  userName?: string;
  channelId: string;
  responseUrl: string;
  triggerId?: string;
  command?: string;
}

/** The fields Slack sends with a slash command (form-encoded over HTTP, a JSON payload over Socket Mode). */
export function slashCommandPayload(f: SlashCommandFields): Record<string, string> {
  return {
    token: "deprecated-verification-token",
    team_id: "T0FAKE",
    team_domain: "fake",
    channel_id: f.channelId,
    channel_name: "ci",
    user_id: f.userId,
    user_name: f.userName ?? f.userId.toLowerCase(),
    command: f.command ?? "/mario",
    text: f.text,
    api_app_id: "A0MARIO",
    is_enterprise_install: "false",
    response_url: f.responseUrl,
    trigger_id: f.triggerId ?? `${Date.now()}.${randomUUID()}`,
  };
}

/** The form body of a slash command. */
export const slashCommandBody = (f: SlashCommandFields): string => new URLSearchParams(slashCommandPayload(f)).toString();

export interface ButtonFields {
  actionId: string;
  value: string;
  userId: string;
  channelId: string;
  messageTs: string;
  responseUrl: string;
  triggerId?: string;
}

/** A `block_actions` interactivity payload for a button on a channel message. */
export function buttonPayload(f: ButtonFields): Record<string, unknown> {
  return {
    type: "block_actions",
    user: { id: f.userId, username: f.userId.toLowerCase(), name: f.userId.toLowerCase(), team_id: "T0FAKE" },
    api_app_id: "A0MARIO",
    token: "deprecated-verification-token",
    container: { type: "message", message_ts: f.messageTs, channel_id: f.channelId, is_ephemeral: false },
    trigger_id: f.triggerId ?? `${Date.now()}.${randomUUID()}`,
    team: { id: "T0FAKE", domain: "fake" },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: f.channelId, name: "ci" },
    message: { type: "message", ts: f.messageTs, text: "run" },
    response_url: f.responseUrl,
    actions: [{ action_id: f.actionId, block_id: "mario_run", text: { type: "plain_text", text: "button" }, value: f.value, type: "button", action_ts: String(Date.now() / 1000) }],
  };
}

/** The form body of a button press over HTTP: the payload as JSON in the form field `payload`. */
export const buttonBody = (f: ButtonFields): string => new URLSearchParams({ payload: JSON.stringify(buttonPayload(f)) }).toString();

export const formType = "application/x-www-form-urlencoded";

export async function postSigned(url: string, request: SignedRequest): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: "POST", headers: request.headers, body: request.body });
  return { status: res.status, text: await res.text() };
}
