import { codeSpan } from "../text/markdown.js";
import { jobCommandSetup, trustedPhrase, type JobCommandServices } from "../jobs/job-commands.js";
import type { CommandDefinition } from "./command-definition.js";

/** `/cancel` and `/cancel <job>`. */
export function cancelCommand(services: JobCommandServices): CommandDefinition {
  return {
    verb: "cancel",
    permission: "none",
    needsOpenPullRequest: true,
    args: [{ name: "job", description: "Only the runs of this job (or command).", positional: true, required: false, pattern: "^[A-Za-z0-9_.-]{1,64}$" }],
    help: {
      usage: "/cancel [job]",
      description: "Cancel the pull request's runs that are still going (queued ones included), or only those of one job or command.",
      who: trustedPhrase,
      examples: ["/cancel", "/cancel unit-tests"],
    },
    async run(ctx) {
      const setup = await jobCommandSetup(services, ctx);
      if (!setup) return;
      const { jobs, pr } = setup;
      const name = ctx.args.job?.toLowerCase();
      const running = await jobs.unfinishedRuns(pr, name ? { name } : {});
      const cancelled = running.length ? await jobs.cancelAll(running) : [];
      if (cancelled.length === 0) ctx.reply(`Nothing is running on this pull request${name ? ` for ${codeSpan(name)}` : ""}, so there is nothing to cancel.`);
    },
  };
}
