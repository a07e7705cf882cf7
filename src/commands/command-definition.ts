import type { ArgConfig, PipelineConfig } from "../config/config-schema.js";
import type { Permission } from "../github/permission.js";

/** Help a command carries with it; `/help` and the README's command table are rendered from it. */
export interface CommandHelp {
  usage: string;
  description: string;
  /** Who may use it, in words ("write access to the repository", "anyone"). */
  who: string;
  examples: string[];
}

export interface CommandDefinition {
  verb: string;
  /** Lowest repository permission needed; `none` means anyone who can comment. */
  permission: Permission;
  args: ArgConfig[];
  help: CommandHelp;
  /** Set for commands that start a Tekton pipeline. */
  pipeline?: PipelineConfig;
  /** Built-in commands answer in the reply comment and start nothing. */
  builtin?: "help";
}

export type CommandRegistry = ReadonlyMap<string, CommandDefinition>;
