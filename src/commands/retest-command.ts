import { codeSpan } from "../text/markdown.js";
import { jobCommandSetup, trustedPhrase, type JobCommandServices } from "../jobs/job-commands.js";
import type { CommandDefinition } from "./command-definition.js";

/** `/retest`: the jobs whose latest run on the head failed, errored, was cancelled, or never ran. */
export function retestCommand(services: JobCommandServices): CommandDefinition {
  return {
    verb: "retest",
    permission: "none",
    needsOpenPullRequest: true,
    args: [],
    help: {
      usage: "/retest",
      description: "Run again the jobs that failed, errored, were cancelled or never ran on the pull request's head — those that apply to its changes and any run there by `/test` (known even after their PipelineRuns were pruned).",
      who: trustedPhrase,
      examples: ["/retest"],
    },
    async run(ctx) {
      const setup = await jobCommandSetup(services, ctx);
      if (!setup) return;
      const { jobs, gh, pr, trigger } = setup;
      const again = await jobs.toRetest(gh, pr);
      if (again.length === 0) {
        ctx.reply(`Nothing to retest on ${pr.head.sha.slice(0, 7)}: every job succeeded or is still running. ${codeSpan("/test <job>")} runs one anyway.`);
        return;
      }
      for (const job of again) await jobs.startJob(pr, job, trigger);
    },
  };
}
