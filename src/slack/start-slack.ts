import type { Logger } from "pino";
import type { InstallationLookup } from "../github/installation-lookup.js";
import type { Metrics } from "../metrics/metrics.js";
import { observeSlack } from "../metrics/observe-slack.js";
import type { Settings } from "../settings.js";
import type { CommandDeps } from "../work/handle-commands.js";
import type { JobHandlers, WorkQueue } from "../work/work-queue.js";
import type { Lock } from "../work/redis-lock.js";
import type { Route } from "../web/http-server.js";
import { channelSettings } from "./channel-settings.js";
import { createNotify, type Notify } from "./notify.js";
import { runLogUrl } from "../runs/render-run-report.js";
import { finishedStates } from "../runs/run-status.js";
import type { QueueReader } from "./queue-reader.js";
import { runSlackAction } from "./slack-action-job.js";
import { runSlackCommand } from "./slack-command-job.js";
import { startSlackIntake } from "./slack-intake.js";
import { isSlackError } from "./slack-port.js";
import { updateRunMessages } from "./slack-run-messages.js";
import type { SlackRunControl, SlackServices } from "./slack-services.js";
import { guardSlackRateLimits } from "./slack-rate-limit-guard.js";
import { webSlack } from "./web-slack.js";

export type SlackJobs = Pick<JobHandlers, "slack-command" | "slack-action" | "slack-update" | "slack-notify">;

export interface SlackFeature {
  /** `/slack/events` on mario's HTTP server (none in Socket Mode, in a worker-only process or without Slack). */
  routes: Route[];
  jobs: SlackJobs;
  /** Called after each report of a run: mirrors it to subscribed channels and refreshes its messages. */
  afterReport(namespace: string, name: string): Promise<void>;
  /** Channel notifications for other features (merge queue, periodic jobs). A no-op without Slack. */
  notify: Notify;
  close(): Promise<void>;
}

export interface SlackWiring {
  settings: Settings;
  /** This process takes intake (MARIO_ROLE web or all): only then does it receive from Slack (src/roles.ts). */
  intake: boolean;
  commands: CommandDeps;
  runs: SlackRunControl;
  queue: WorkQueue;
  lock: Lock;
  installations: InstallationLookup;
  log: Logger;
  queueReader?: QueueReader;
  /** Slack API calls are counted and timed here (`api="slack"`). */
  metrics?: Metrics;
}

/** Slack, when configured: receiving (in intake processes), the Slack jobs and notifications. */
export async function startSlack(w: SlackWiring): Promise<SlackFeature> {
  const slackSettings = w.settings.slack;
  if (!slackSettings) {
    const off = async () => w.log.warn("a Slack job was queued but Slack is not configured; dropped");
    return { routes: [], jobs: { "slack-command": off, "slack-action": off, "slack-update": off, "slack-notify": off }, afterReport: async () => {}, notify: async () => {}, close: async () => {} };
  }
  const log = w.log.child({ name: "slack" });
  const slackConfig = w.commands.config.slack;
  const guarded = guardSlackRateLimits(webSlack({ botToken: slackSettings.botToken, apiUrl: slackSettings.apiUrl }), w.commands.redis, w.commands.prefix);
  const slack = w.metrics ? observeSlack(guarded, w.metrics) : guarded;
  const channels = channelSettings(w.commands.redis, w.commands.prefix, slackConfig);
  const interval = Math.max(1, slackConfig.updateIntervalMs);
  const services: SlackServices = {
    commands: w.commands,
    runs: w.runs,
    slackConfig,
    slack,
    channels,
    installations: w.installations,
    publicUrl: w.settings.publicUrl,
    queueReader: w.queueReader,
    log,
    // One job per run per interval: changes inside an interval share it, and it renders the run as it is
    // when it runs, so the last change is never lost.
    async scheduleUpdate(namespace, name) {
      const now = Date.now();
      const slot = Math.floor(now / interval);
      await w.queue.add("slack-update", { namespace, name }, `${namespace}/${name}@${slot}`, { delayMs: (slot + 1) * interval - now });
    },
  };
  const notify = createNotify({ channels, enqueue: (job, id) => w.queue.add("slack-notify", job, id) });

  // Receiving from Slack is intake: a worker-only process neither serves /slack/events nor opens a socket (Slack
  // would hand it a share of the commands). It still runs the Slack jobs and posts.
  const intake = w.intake ? await startSlackIntake(slackSettings, { redis: w.commands.redis, prefix: w.commands.prefix, queue: w.queue, log }) : undefined;

  return {
    routes: intake?.routes ?? [],
    jobs: {
      "slack-command": (event, attempt) => runSlackCommand(services, event, attempt),
      "slack-action": (event, attempt) => runSlackAction(services, event, attempt),
      "slack-update": ({ namespace, name }) => updateRunMessages({ store: w.commands.store, slack, lock: w.lock, publicUrl: w.settings.publicUrl, log }, namespace, name),
      "slack-notify": async ({ channel, message }) => {
        try {
          await slack.postMessage(channel, message);
        } catch (error) {
          if (!isSlackError(error) || error.retryable) throw error;
          log.warn({ err: error, channel }, "Slack notification dropped"); // e.g. the channel is gone: retrying cannot help
        }
      },
    },
    async afterReport(namespace, name) {
      const run = await w.commands.store.get(namespace, name);
      if (!run) return;
      for (const channel of await channels.subscribers(run.meta.repo, "runs")) await w.commands.store.mergeSlackMessage(namespace, name, { channel });
      const fresh = run.slack ? run : await w.commands.store.get(namespace, name);
      if (fresh?.slack?.length) await services.scheduleUpdate(namespace, name);
      if (run.meta.kind === "periodic" && finishedStates.has(run.status.state)) {
        const id = `${namespace}/${name}`;
        await notify({ kind: "periodic-result", repo: run.meta.repo, job: run.meta.job ?? run.meta.verb, state: run.status.state, logUrl: runLogUrl(w.settings.publicUrl, run.meta), id });
      }
    },
    notify,
    async close() {
      await intake?.close();
    },
  };
}
