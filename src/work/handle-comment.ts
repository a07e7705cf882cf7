import type { Redis } from "ioredis";
import type { CommandDefinition, CommandRegistry } from "../commands/command-definition.js";
import { parseCommands } from "../commands/parse-commands.js";
import { renderCommandHelp, renderCommandTable } from "../commands/render-help.js";
import { validateArgs } from "../commands/validate-args.js";
import type { MarioConfig } from "../config/config-schema.js";
import type { TemplateContext } from "../config/render-template.js";
import type { GitHubForInstallation, GitHubPort, PullRequestInfo, RepoRef } from "../github/github-port.js";
import { permissionAtLeast, permissionPhrase } from "../github/permission.js";
import { startRun, type StartRunDeps } from "../runs/start-run.js";
import { codeSpan } from "../text/markdown.js";
import type { PermissionLookup } from "./permission-cache.js";

/** A PR or issue comment, normalized by the webhook handler. */
export interface CommentEvent {
  deliveryId: string;
  installationId: number;
  repo: RepoRef;
  issueNumber: number;
  isPullRequest: boolean;
  author: string;
  body: string;
}

export interface CommentDeps extends StartRunDeps {
  config: MarioConfig;
  registry: CommandRegistry;
  github: GitHubForInstallation;
  permission: PermissionLookup;
  redis: Redis;
  prefix: string;
}

/**
 * Turns one comment into work: parse, authorize, validate, start runs; everything that is not a run
 * (help, refusals, mistakes) is gathered into a single reply so a comment never gets more than one answer.
 */
export async function handleComment(deps: CommentDeps, event: CommentEvent, attempt: { number: number; of: number }): Promise<void> {
  const { config, registry } = deps;
  const parsed = parseCommands(event.body, {
    maxBytes: config.limits.maxCommentBytes,
    maxCommands: config.limits.maxCommandsPerComment,
    maxArgLength: config.limits.maxArgLength,
  });
  const commands = parsed.commands.filter((c) => !config.ignoreVerbs.includes(c.verb));
  const errors = parsed.errors.filter((e) => !config.ignoreVerbs.includes(verbOf(e.raw) ?? ""));
  if (commands.length === 0 && errors.length === 0) return;

  const sections: string[] = [];
  const gh = await deps.github(event.installationId);

  if (!event.isPullRequest) {
    // Commands only make sense on pull requests; answer only when the comment clearly speaks to mario.
    const ours = commands.filter((c) => registry.has(c.verb) && c.verb !== "help");
    if (ours.length > 0) sections.push(`${ours.map((c) => codeSpan(`/${c.verb}`)).join(", ")} only work${ours.length === 1 ? "s" : ""} on pull requests; this is an issue.`);
    else if (commands.some((c) => c.verb === "help")) sections.push(helpTable(registry));
    return reply(deps, gh, event, sections);
  }

  for (const error of errors) sections.push(describeParseError(error, registry));

  let pr: PullRequestInfo | undefined | null = null; // null: not fetched yet
  const pullRequest = async () => (pr === null ? (pr = await gh.getPullRequest(event.repo, event.issueNumber)) : pr);

  for (const [index, command] of commands.entries()) {
    const definition = registry.get(command.verb);
    if (!definition) {
      sections.push(`I don't know ${codeSpan(`/${command.verb}`)}. I understand ${[...registry.keys()].map((v) => codeSpan(`/${v}`)).join(", ")}; ${codeSpan("/help")} explains them.`);
      continue;
    }
    if (definition.permission !== "none") {
      const have = await deps.permission(gh, event.repo, event.author);
      if (!permissionAtLeast(have, definition.permission)) {
        sections.push(
          `${codeSpan(`/${definition.verb}`)} needs ${permissionPhrase(definition.permission)} ${event.repo.owner}/${event.repo.name}; you have ${have === "none" ? "no access" : `${have} access`}, so I did not run it. A maintainer can run it for you.`,
        );
        continue;
      }
    }
    if (definition.builtin === "help") {
      const topic = command.positional[0] ? registry.get(command.positional[0].toLowerCase()) : undefined;
      sections.push(topic ? `\n\n${renderCommandHelp(topic)}` : helpTable(registry));
      continue;
    }
    if (!definition.pipeline) continue;

    const info = await pullRequest();
    if (!info) {
      sections.push(`I could not find pull request #${event.issueNumber}, so ${codeSpan(`/${definition.verb}`)} did not run.`);
      continue;
    }
    if (info.state !== "open") {
      sections.push(`This pull request is ${info.merged ? "merged" : "closed"}; ${codeSpan(`/${definition.verb}`)} did not run.`);
      continue;
    }
    const context = templateContext(event, info, definition.verb);
    const checked = validateArgs(definition, command, context);
    if (!checked.ok) {
      sections.push(
        [`${codeSpan(command.raw)} did not run:`, ...checked.problems.map((p) => `- ${p.message}`), "", `Usage: ${codeSpan(definition.help.usage)} — ${codeSpan(`/help ${definition.verb}`)} for details.`].join("\n"),
      );
      continue;
    }
    await startRun(deps, {
      command: { ...definition, pipeline: definition.pipeline },
      context: { ...context, args: checked.args },
      commandLine: command.raw,
      prUrl: info.htmlUrl,
      installationId: event.installationId,
      identity: `${event.repo.owner}/${event.repo.name}#${event.issueNumber}:${event.deliveryId}:${index}`,
      attempt,
    });
  }
  await reply(deps, gh, event, sections);
}

function templateContext(event: CommentEvent, pr: PullRequestInfo, verb: string): Omit<TemplateContext, "args"> {
  return {
    repo: {
      owner: event.repo.owner,
      name: event.repo.name,
      fullName: `${event.repo.owner}/${event.repo.name}`,
      cloneUrl: pr.cloneUrl,
      htmlUrl: pr.repoHtmlUrl,
    },
    pr: { number: pr.number, headSha: pr.head.sha, headRef: pr.head.ref, baseRef: pr.base.ref, baseSha: pr.base.sha },
    requester: event.author,
    command: verb,
  };
}

const helpTable = (registry: CommandRegistry) => `these are the commands I understand:\n\n${renderCommandTable(registry)}`;

function verbOf(raw: string): string | undefined {
  return /^\s*\/([A-Za-z][A-Za-z0-9_-]*)/.exec(raw)?.[1]?.toLowerCase();
}

function describeParseError(error: { raw: string; message: string }, registry: CommandRegistry): string {
  const definition: CommandDefinition | undefined = registry.get(verbOf(error.raw) ?? "");
  const usage = definition ? `\n\nUsage: ${codeSpan(definition.help.usage)}` : "";
  return `${codeSpan(error.raw)}: ${error.message}${usage}`;
}

/** One reply per comment, posted once even if the job is retried after posting it. */
async function reply(deps: CommentDeps, gh: GitHubPort, event: CommentEvent, sections: string[]): Promise<void> {
  if (sections.length === 0) return;
  const marker = `${deps.prefix}replied:${event.deliveryId}`;
  if (await deps.redis.exists(marker)) return;
  await gh.createComment(event.repo, event.issueNumber, `@${event.author}: ${sections.join("\n\n")}`);
  await deps.redis.set(marker, "1", "EX", 7 * 24 * 3600);
}
