import { webApi } from "@slack/bolt";
import { SlackApiError, type SlackPort } from "./slack-port.js";

/** Platform errors that are Slack's trouble, not ours: worth another try. */
const transient = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited", "team_added_to_org"]);

export interface WebSlackOptions {
  botToken: string;
  /** Web API base ending in `/api/`. */
  apiUrl: string;
  timeoutMs?: number;
}

/**
 * SlackPort over @slack/web-api. The client's own retries are off and rate limits are rejected, not waited out:
 * the job queue retries with the server's Retry-After, so a worker never sleeps inside a request.
 */
export function webSlack(options: WebSlackOptions): SlackPort {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = new webApi.WebClient(options.botToken, {
    slackApiUrl: options.apiUrl,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: timeoutMs,
    logLevel: webApi.LogLevel.ERROR,
  });
  const call = async <T>(method: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw toSlackError(method, error);
    }
  };

  return {
    async postMessage(channel, message) {
      const result = await call("chat.postMessage", () => client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false }));
      if (!result.ts) throw new SlackApiError("chat.postMessage", "no_ts_in_response", true);
      return result.ts;
    },
    async updateMessage(channel, ts, message) {
      await call("chat.update", () => client.chat.update({ channel, ts, text: message.text, blocks: message.blocks ?? [] }));
    },
    async userGroupMembers(groupId) {
      const result = await call("usergroups.users.list", () => client.usergroups.users.list({ usergroup: groupId }));
      return result.users ?? [];
    },
    async respond(responseUrl, message) {
      let res: Response;
      try {
        res = await fetch(responseUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ response_type: "ephemeral", replace_original: false, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) }),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "error",
        });
      } catch (error) {
        throw new SlackApiError("response_url", `request failed: ${(error as Error).message}`, true);
      }
      await res.text().catch(() => "");
      if (res.ok) return;
      const retryAfter = Number(res.headers.get("retry-after"));
      if (res.status === 429) throw new SlackApiError("response_url", "ratelimited", true, Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined);
      // 404 means the URL expired (30 minutes) or was used up (5 answers): trying again cannot help.
      throw new SlackApiError("response_url", `HTTP ${res.status}`, res.status >= 500);
    },
  };
}

function toSlackError(method: string, error: unknown): SlackApiError {
  if (error instanceof webApi.WebAPIRateLimitedError) return new SlackApiError(method, "ratelimited", true, error.retryAfter * 1000);
  if (error instanceof webApi.WebAPIPlatformError) return new SlackApiError(method, error.data.error, transient.has(error.data.error));
  if (error instanceof webApi.WebAPIHTTPError) return new SlackApiError(method, `HTTP ${error.statusCode}`, error.statusCode >= 500 || error.statusCode === 408);
  return new SlackApiError(method, `request failed: ${(error as Error)?.message ?? String(error)}`, true);
}
