import type { ArgConfig } from "../config/config-schema.js";
import type { CommandContext } from "../commands/command-definition.js";
import type { GitHubPort } from "../github/github-port.js";
import { codeSpan } from "../text/markdown.js";
import { commandIdentity } from "../work/handle-commands.js";
import { pullContext, type JobService, type JobTrigger, type PullContext } from "./job-service.js";
import type { JobConfig } from "./jobs-config.js";

/** What the job commands (/test, /retest, /cancel, /ok-to-test) need; absent when mario runs without jobs. */
export interface JobCommandServices {
  jobs?: JobService;
}

export const trustedPhrase = "collaborators and organization members";

/** `/test a b c`: several job names, as optional positional words. Loose pattern: unknown names get the list. */
export const jobNameArgs: ArgConfig[] = Array.from({ length: 8 }, (_, i) => ({
  name: i === 0 ? "job" : `job-${i + 1}`,
  description: i === 0 ? "A job name, or `all`." : "Another job name.",
  positional: true,
  required: false,
  pattern: "^[A-Za-z0-9_.-]{1,64}$",
}));

export function listJobs(jobs: JobConfig[]): string {
  if (jobs.length === 0) return "No jobs are configured for this repository and branch.";
  return `Jobs for this pull request: ${jobs.map((j) => `${codeSpan(j.name)}${j.required ? "" : " (optional)"}`).join(", ")}.`;
}

export interface JobCommandSetup {
  jobs: JobService;
  gh: GitHubPort;
  pr: PullContext;
  trigger: JobTrigger;
}

/** Common start of every job command: jobs set up, a trusted author, the open PR. Replies and returns undefined otherwise. */
export async function jobCommandSetup(services: JobCommandServices, ctx: CommandContext): Promise<JobCommandSetup | undefined> {
  const verb = codeSpan(`/${ctx.command.verb}`);
  if (!services.jobs) {
    ctx.reply(`${verb} needs jobs, and this mario has none configured.`);
    return undefined;
  }
  const { request } = ctx;
  if (!(await services.jobs.trusted(ctx.github, request.repo, request.author, await ctx.permission()))) {
    ctx.reply(`${verb} is for ${trustedPhrase} of ${request.repo.owner}; you are neither, so I did not run it. A maintainer can run it for you.`);
    return undefined;
  }
  const info = await ctx.pullRequest();
  if (!info) {
    ctx.reply(`I could not find pull request #${request.issueNumber}, so ${verb} did not run.`);
    return undefined;
  }
  return {
    jobs: services.jobs,
    gh: ctx.github,
    pr: pullContext(request.installationId, request.repo, info),
    trigger: { requester: request.author, identity: commandIdentity(request, ctx.index), attempt: ctx.attempt, ...(ctx.runStarted ? { started: ctx.runStarted } : {}) },
  };
}
