import type { Logger } from "pino";
import type { InstallationLookup } from "../github/installation-lookup.js";
import type { CommandDeps } from "../work/handle-commands.js";
import type { ChannelSettings } from "./channel-settings.js";
import type { QueueReader } from "./queue-reader.js";
import type { SlackConfig } from "./slack-config.js";
import type { SlackPort } from "./slack-port.js";

/** Everything the Slack jobs use; built once in start-slack.ts. */
export interface SlackServices {
  commands: CommandDeps;
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
