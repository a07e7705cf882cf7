import type { Redis } from "ioredis";
import type { CommandContext, CommandDefinition, CommandRegistry, CommandRequest } from "../commands/command-definition.js";
import type { ParseError } from "../commands/command-types.js";
import { helpTable } from "../commands/help-command.js";
import { parseCommands } from "../commands/parse-commands.js";
import { validateArgs } from "../commands/validate-args.js";
import type { MarioConfig } from "../config/config-schema.js";
import type { TemplateContext } from "../config/render-template.js";
import type { GitHubForInstallation, GitHubPort, PullRequestInfo } from "../github/github-port.js";
import { permissionAtLeast, permissionPhrase, type Permission } from "../github/permission.js";
import { repoFullName } from "../github/repo-full-name.js";
import { isForkHead, startRun, type StartRunDeps } from "../runs/start-run.js";
import { codeSpan } from "../text/markdown.js";
import type { PermissionLookup } from "./permission-cache.js";

/** A PR or issue comment, normalized by the webhook handler. */
export interface CommentEvent extends Omit<CommandRequest, "source"> {
  body: string;
}

export interface CommandDeps extends StartRunDeps {
  config: MarioConfig;
  registry: CommandRegistry;
  github: GitHubForInstallation;
  permission: PermissionLookup;
  redis: Redis;
  prefix: string;
  /** Told each command's outcome once its reply went out (so a retried job counts once); feeds /metrics. */
  observeCommand?: (verb: string, outcome: CommandOutcome) => void;
  /** Told of each run a built-in command starts (a pipeline command's run is told through `report`). */
  runStarted?(namespace: string, name: string): Promise<void>;
}

export type CommandOutcome = "started" | "ran" | "refused" | "invalid" | "unknown" | "not-on-pr" | "no-pr" | "pr-closed";

/** Where the one reply to a batch of commands goes (a PR comment, a Slack ephemeral message). */
export type Replier = (gh: GitHubPort, sections: string[]) => Promise<void>;

/**
 * Turns the commands in a text into work: parse, authorize, validate, then run a built-in or start a pipeline.
 * Everything that is not a run (help, refusals, mistakes) is gathered into a single reply, so one comment never
 * gets more than one answer. Shared by PR comments and Slack.
 */
export async function handleCommands(
  deps: CommandDeps,
  request: CommandRequest,
  text: string,
  attempt: { number: number; of: number },
  replyTo: Replier,
): Promise<void> {
  const { config, registry } = deps;
  const parsed = parseCommands(text, {
    maxBytes: config.limits.maxCommentBytes,
    maxCommands: config.limits.maxCommandsPerComment,
    maxArgLength: config.limits.maxArgLength,
    maxArgs: config.limits.maxArgsPerCommand,
  });
  const commands = parsed.commands.filter((c) => !config.ignoreVerbs.includes(c.verb));
  const errors = parsed.errors.filter((e) => !config.ignoreVerbs.includes(verbOf(e.raw) ?? ""));
  if (commands.length === 0 && errors.length === 0) return;

  const sections: string[] = [];
  const outcomes: [string, CommandOutcome][] = [];
  const observed = (verb: string, outcome: CommandOutcome) => outcomes.push([registry.has(verb) ? verb : "(unknown)", outcome]);
  const reply = async () => {
    await replyTo(gh, sections);
    for (const [verb, outcome] of outcomes) deps.observeCommand?.(verb, outcome);
  };
  const gh = await deps.github(request.installationId);

  if (!request.isPullRequest) {
    // Commands only make sense on pull requests; answer only when the comment clearly speaks to mario.
    const ours = commands.filter((c) => registry.has(c.verb) && c.verb !== "help");
    if (ours.length > 0) sections.push(`${ours.map((c) => codeSpan(`/${c.verb}`)).join(", ")} only work${ours.length === 1 ? "s" : ""} on pull requests; this is an issue.`);
    else if (commands.some((c) => c.verb === "help")) sections.push(helpTable(registry));
    for (const c of commands) observed(c.verb, "not-on-pr");
    return reply();
  }

  for (const error of errors) sections.push(describeParseError(error, registry));
  for (const error of errors) observed(verbOf(error.raw) ?? "", "invalid");

  let pr: PullRequestInfo | undefined | null = null; // null: not fetched yet
  const pullRequest = async () => (pr === null ? (pr = await gh.getPullRequest(request.repo, request.issueNumber)) : pr);
  let have: Promise<Permission> | undefined;
  const permission = () => (have ??= deps.permission(gh, request.repo, request.author));

  for (const [index, command] of commands.entries()) {
    const definition = registry.get(command.verb);
    if (!definition) {
      sections.push(`I don't know ${codeSpan(`/${command.verb}`)}. I understand ${[...registry.keys()].map((v) => codeSpan(`/${v}`)).join(", ")}; ${codeSpan("/help")} explains them.`);
      observed(command.verb, "unknown");
      continue;
    }
    const refusal = await authorize(request, definition, permission);
    if (refusal) {
      sections.push(refusal);
      observed(command.verb, "refused");
      continue;
    }
    const needsPr = definition.pipeline !== undefined || definition.needsOpenPullRequest === true;
    const info = needsPr ? await pullRequest() : undefined;
    if (needsPr && !info) {
      sections.push(`I could not find pull request #${request.issueNumber}, so ${codeSpan(`/${definition.verb}`)} did not run.`);
      observed(command.verb, "no-pr");
      continue;
    }
    if (info && info.state !== "open") {
      sections.push(`This pull request is ${info.merged ? "merged" : "closed"}; ${codeSpan(`/${definition.verb}`)} did not run.`);
      observed(command.verb, "pr-closed");
      continue;
    }
    const context = templateContext(request, info, definition.verb);
    const checked = validateArgs(definition, command, context);
    if (!checked.ok) {
      sections.push(
        [`${codeSpan(command.raw)} did not run:`, ...checked.problems.map((p) => `- ${p.message}`), "", `Usage: ${codeSpan(definition.help.usage)} — ${codeSpan(`/help ${definition.verb}`)} for details.`].join("\n"),
      );
      observed(command.verb, "invalid");
      continue;
    }
    if (definition.run) {
      const ctx: CommandContext = { request, command, args: checked.args, index, attempt, github: gh, permission, pullRequest, registry, reply: (t) => sections.push(t), ...(deps.runStarted ? { runStarted: deps.runStarted } : {}) };
      await definition.run(ctx);
      observed(command.verb, "ran");
    } else if (definition.pipeline && info) {
      await startRun(deps, {
        command: { ...definition, pipeline: definition.pipeline },
        context: { ...context, args: checked.args },
        fork: isForkHead(request.repo, info.head.repoFullName),
        commandLine: command.raw,
        prUrl: info.htmlUrl,
        installationId: request.installationId,
        identity: commandIdentity(request, index),
        attempt,
      });
      observed(command.verb, "started");
    }
  }
  await reply();
}

/** Unique per command of a delivery: names derived from it are the same when a job is retried. */
export function commandIdentity(request: CommandRequest, index: number): string {
  return `${request.repo.owner}/${request.repo.name}#${request.issueNumber}:${request.deliveryId}:${index}`;
}

async function authorize(request: CommandRequest, definition: CommandDefinition, permission: () => Promise<Permission>): Promise<string | undefined> {
  if (definition.permission === "none") return undefined;
  const have = await permission();
  if (permissionAtLeast(have, definition.permission)) return undefined;
  return `${codeSpan(`/${definition.verb}`)} needs ${permissionPhrase(definition.permission)} ${request.repo.owner}/${request.repo.name}; you have ${have === "none" ? "no access" : `${have} access`}, so I did not run it. A maintainer can run it for you.`;
}

function templateContext(request: CommandRequest, pr: PullRequestInfo | undefined, verb: string): Omit<TemplateContext, "args"> {
  const fullName = repoFullName(request.repo);
  return {
    repo: { owner: request.repo.owner, name: request.repo.name, fullName, cloneUrl: pr?.cloneUrl ?? "", htmlUrl: pr?.repoHtmlUrl ?? "" },
    pr: { number: request.issueNumber, headSha: pr?.head.sha ?? "", headRef: pr?.head.ref ?? "", baseRef: pr?.base.ref ?? "", baseSha: pr?.base.sha ?? "" },
    requester: request.author,
    command: verb,
  };
}

function verbOf(raw: string): string | undefined {
  return /^\s*\/([A-Za-z][A-Za-z0-9_-]*)/.exec(raw)?.[1]?.toLowerCase();
}

function describeParseError(error: ParseError, registry: CommandRegistry): string {
  const definition = registry.get(verbOf(error.raw) ?? "");
  const usage = definition ? `\n\nUsage: ${codeSpan(definition.help.usage)}` : "";
  return `${codeSpan(error.raw)}: ${error.message}${usage}`;
}

/** The GitHub replier: one comment per delivery, posted once even if the job is retried after posting it. */
export function commentReplier(deps: Pick<CommandDeps, "redis" | "prefix">, request: CommandRequest): Replier {
  return async (gh, sections) => {
    if (sections.length === 0) return;
    const marker = `${deps.prefix}replied:${request.deliveryId}`;
    if (await deps.redis.exists(marker)) return;
    await gh.createComment(request.repo, request.issueNumber, `@${request.author}: ${sections.join("\n\n")}`);
    await deps.redis.set(marker, "1", "EX", 7 * 24 * 3600);
  };
}

