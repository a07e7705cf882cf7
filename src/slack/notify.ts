import type { RepoRef } from "../github/github-port.js";
import { repoFullName } from "../github/repo-full-name.js";
import { stateView } from "../runs/render-run-report.js";
import type { RunState } from "../runs/run-status.js";
import { type ChannelSettings, type NotificationKind } from "./channel-settings.js";
import type { SlackMessage } from "./slack-port.js";
import { escapeSlack, slackCode, slackLink } from "./slack-text.js";

/**
 * Something channels may want to hear about. Features call `notify(event)`; subscriptions decide where it goes.
 * - `periodic-result`: a periodic job's run ended (its runs are mario's only runs on a branch rather than a PR);
 *   failures go to `failures` subscribers, every result to `all`.
 * - `merged` / `removed-from-queue`: the merge queue; `merges` subscribers.
 */
export type SlackEvent =
  | { kind: "periodic-result"; repo: RepoRef; job: string; state: RunState; logUrl?: string; id: string }
  | { kind: "merged"; repo: RepoRef; pr: number; title?: string; sha: string; url?: string }
  | { kind: "removed-from-queue"; repo: RepoRef; pr: number; title?: string; reason: string; url?: string; id: string };

export type Notify = (event: SlackEvent) => Promise<void>;

/** One channel's notification, queued so a Slack outage or rate limit delays it instead of losing it. */
export interface SlackNotifyJob {
  channel: string;
  message: SlackMessage;
}

export interface NotifyDeps {
  channels: ChannelSettings;
  /** Queues the post; `id` makes a repeated notify of the same event a no-op. */
  enqueue(job: SlackNotifyJob, id: string): Promise<void>;
}

const failedStates = new Set<RunState>(["failed", "timed-out", "create-failed"]);

export function createNotify(deps: NotifyDeps): Notify {
  return async (event) => {
    const plan = describe(event);
    const channels = new Set<string>();
    for (const kind of plan.kinds) for (const c of await deps.channels.subscribers(plan.repo, kind)) channels.add(c);
    for (const channel of channels) await deps.enqueue({ channel, message: { text: plan.text, blocks: [{ type: "section", text: { type: "mrkdwn", text: plan.text.slice(0, 3000) } }] } }, `${plan.id}:${channel}`);
  };
}

function describe(event: SlackEvent): { repo: RepoRef; kinds: NotificationKind[]; text: string; id: string } {
  switch (event.kind) {
    case "periodic-result": {
      const view = stateView(event.state);
      return {
        repo: event.repo,
        kinds: failedStates.has(event.state) ? ["failures", "runs"] : ["runs"],
        id: `periodic:${event.id}`,
        text: `${view.icon} Periodic job ${slackCode(event.job)} of ${slackCode(repoFullName(event.repo))}: *${view.title}*${event.logUrl ? ` — ${slackLink(event.logUrl, "logs")}` : ""}`,
      };
    }
    case "merged":
      return {
        repo: event.repo,
        kinds: ["merges"],
        id: `merged:${repoFullName(event.repo)}#${event.pr}:${event.sha}`,
        text: `🔀 Merged ${prLink(event)}${event.title ? `: ${escapeSlack(event.title.slice(0, 120))}` : ""}`,
      };
    case "removed-from-queue":
      return {
        repo: event.repo,
        kinds: ["merges"],
        id: `removed:${repoFullName(event.repo)}#${event.pr}:${event.id}`,
        text: `⚠️ ${prLink(event)} left the merge queue: ${escapeSlack(event.reason.slice(0, 300))}`,
      };
  }
}

function prLink(event: { repo: RepoRef; pr: number; url?: string }): string {
  const label = `${repoFullName(event.repo)}#${event.pr}`;
  return event.url ? slackLink(event.url, label) : escapeSlack(label);
}
