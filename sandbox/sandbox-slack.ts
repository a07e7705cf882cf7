import { randomUUID } from "node:crypto";
import { slackConfigSchema, type SlackConfig } from "../src/slack/slack-config.js";
import { html, type SafeHtml } from "../src/web/html.js";
import { startFakeSlack } from "../test/fakes/fake-slack.js";
import { formType, postSigned, signSlackBody, slashCommandBody } from "../test/fakes/fake-slack-requests.js";

export const sandboxChannel = "C0SANDBOX";

/**
 * The sandbox's simulated Slack workspace: the loopback fake Slack Web API mario posts to, one channel bound to
 * the demo repository (subscribed to its failures and merges), and the demo users mapped to their GitHub logins.
 * `slash` sends `/mario <text>` to mario signed like Slack signs it; answers come back on a response_url.
 */
export async function startSandboxSlack(opts: { repo: string; users: string[] }) {
  const slack = await startFakeSlack();
  slack.addChannel(sandboxChannel);
  const signingSecret = randomUUID();
  const slackUserId = (login: string) => `U0${login.toUpperCase().replace(/[^A-Z0-9]/g, "")}`;
  const config: SlackConfig = slackConfigSchema.parse({
    users: Object.fromEntries(opts.users.map((u) => [slackUserId(u), u])),
    bindPermission: "write",
    channels: [{ channel: sandboxChannel, repo: opts.repo, subscribe: [{ repo: opts.repo, events: ["failures", "merges"] }] }],
    updateIntervalMs: 500,
  });
  /** What each slash command typed here got back (Slack shows these only to the one who typed). */
  const typed: { user: string; text: string; responseUrl: string; at: number }[] = [];
  let eventsUrl = "";

  return {
    config,
    env: { SLACK_SIGNING_SECRET: signingSecret, SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.apiUrl },
    /** Where mario takes Slack requests; known once mario listens. */
    setMarioUrl(url: string) {
      eventsUrl = `${url}/slack/events`;
    },
    async slash(user: string, text: string): Promise<void> {
      const responseUrl = slack.responseUrl();
      typed.push({ user, text, responseUrl, at: Date.now() });
      if (typed.length > 20) typed.shift();
      const body = slashCommandBody({ text, userId: slackUserId(user), userName: user, channelId: sandboxChannel, responseUrl });
      await postSigned(eventsUrl, signSlackBody(signingSecret, body, formType));
    },
    /** The channel as a pane of the sandbox page: messages mario posted, and the answers to commands typed here. */
    pane(): SafeHtml {
      const messages = slack.messages(sandboxChannel).slice(-15);
      return html`<h2>Slack channel #sandbox <small class="note">(simulated)</small></h2>
${messages.length === 0 ? html`<p class="note">No messages yet. mario posts here when a PR of the demo repository merges or a run fails, and runs started from this channel.</p>` : ""}
${messages.map((m) => html`<div class="slack-message"><strong>mario</strong>: ${m.text}</div>`)}
${typed.slice(-5).map(
  (c) => html`<div class="slack-command"><strong>${c.user}</strong>: /mario ${c.text}${slack.responses(c.responseUrl).map((r) => html`<div class="slack-answer"><em>only visible to ${c.user}:</em> ${r.body.text ?? ""}</div>`)}</div>`,
)}`;
    },
    close: () => slack.close(),
  };
}

export type SandboxSlack = Awaited<ReturnType<typeof startSandboxSlack>>;
