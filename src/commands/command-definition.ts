import type { ArgConfig, PipelineConfig } from "../config/config-schema.js";
import type { GitHubPort, PullRequestInfo, RepoRef } from "../github/github-port.js";
import type { Permission } from "../github/permission.js";
import type { ParsedCommand } from "./command-types.js";

/** Help a command carries with it; `/help` and the README's command table are rendered from it. */
export interface CommandHelp {
  usage: string;
  description: string;
  /** Who may use it, in words ("write access to the repository", "anyone"). */
  who: string;
  examples: string[];
}

/** Where a command came from: a PR comment, or a Slack slash command acting on a PR. */
export interface CommandRequest {
  /** Unique per delivery (webhook id, Slack trigger id): a retried job reuses it, so its runs keep their names. */
  deliveryId: string;
  installationId: number;
  repo: RepoRef;
  /** The PR (or issue) the command is about. */
  issueNumber: number;
  isPullRequest: boolean;
  /** The GitHub login the command runs as. */
  author: string;
  /** When the comment was written (GitHub's `created_at`); absent for Slack. Orders votes against reviews. */
  createdAt?: string;
  source: "github" | "slack";
}

/** What a built-in command gets to do its work. */
export interface CommandContext {
  request: CommandRequest;
  command: ParsedCommand;
  /** Validated arguments, defaults filled in. */
  args: Record<string, string>;
  /** Position of the command in its comment (for deterministic names). */
  index: number;
  attempt: { number: number; of: number };
  github: GitHubPort;
  /**
   * The requester's permission on the repository, as the command's source decides it (GitHub's permission API, or
   * the Slack identity's login and user groups); looked up once per comment.
   */
  permission(): Promise<Permission>;
  /** The PR, fetched once per comment; undefined when it does not exist. */
  pullRequest(): Promise<PullRequestInfo | undefined>;
  registry: CommandRegistry;
  /** Adds a paragraph to the one reply this comment gets. */
  reply(text: string): void;
  /** Told of each run a built-in command (`/test`, `/retest`, `/ok-to-test`) starts, where the source wants it. */
  runStarted?(namespace: string, name: string): Promise<void>;
}

export interface CommandDefinition {
  verb: string;
  /** Lowest repository permission needed; `none` means anyone who can comment. */
  permission: Permission;
  args: ArgConfig[];
  help: CommandHelp;
  /** Set for commands that start a Tekton pipeline. */
  pipeline?: PipelineConfig;
  /** Built-in behaviour (commands without a pipeline). */
  run?(ctx: CommandContext): Promise<void>;
  /** Built-ins that act on the PR (labels, jobs) set this; they are refused on closed PRs and issues. */
  needsOpenPullRequest?: boolean;
}

export type CommandRegistry = ReadonlyMap<string, CommandDefinition>;
