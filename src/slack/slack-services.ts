import type { Logger } from "pino";
import type { InstallationLookup } from "../github/installation-lookup.js";
import type { JobTrigger } from "../jobs/job-service.js";
import type { TrustCheck } from "../jobs/trust.js";
import type { RunMeta } from "../runs/run-record.js";
import type { CommandDeps } from "../work/handle-commands.js";
import type { ChannelSettings } from "./channel-settings.js";
import type { QueueReader } from "./queue-reader.js";
import type { SlackConfig } from "./slack-config.js";
import type { SlackPort } from "./slack-port.js";

/** What Slack's buttons do to runs, through the run lifecycle (src/jobs) exactly as GitHub's commands do. */
export interface SlackRunControl {
  /** Cancels an unfinished run, first keeping what its running steps logged (Tekton deletes a cancelled run's pods). */
  cancelRun(namespace: string, name: string): Promise<boolean>;
  /** The trust rule of /test and /cancel for a GitHub login: `trust.minPermission`, or a member of the organization. */
  trusted: TrustCheck;
  /** Runs a periodic job now on its branch's current head; undefined when it is no longer configured. */
  runPeriodicNow(job: string, trigger: JobTrigger): Promise<RunMeta | undefined>;
}

/** Everything the Slack jobs use; built once in start-slack.ts. */
export interface SlackServices {
  commands: CommandDeps;
  runs: SlackRunControl;
  slackConfig: SlackConfig;
  slack: SlackPort;
  channels: ChannelSettings;
  installations: InstallationLookup;
  publicUrl: string;
  /** Queues an update of the run's Slack messages (coalesced per run). */
  scheduleUpdate(namespace: string, name: string): Promise<void>;
  /** The merge queue, when that feature is enabled. */
  queueReader?: QueueReader;
  log: Logger;
}
