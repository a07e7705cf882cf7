import { codeSpan } from "../text/markdown.js";
import { jobCommandSetup, jobNameArgs, listJobs, trustedPhrase, type JobCommandServices } from "../jobs/job-commands.js";
import type { CommandDefinition } from "./command-definition.js";

/** `/test <job>…` and `/test all`. */
export function testCommand(services: JobCommandServices): CommandDefinition {
  return {
    verb: "test",
    permission: "none",
    needsOpenPullRequest: true,
    args: jobNameArgs,
    help: {
      usage: "/test <job> [job…] | /test all",
      description: "Run presubmit jobs on the pull request's head: the named ones, or `all` jobs that apply to its changes. Without a name (or with an unknown one) it lists the jobs.",
      who: trustedPhrase,
      examples: ["/test unit-tests", "/test unit-tests lint", "/test all"],
    },
    async run(ctx) {
      const setup = await jobCommandSetup(services, ctx);
      if (!setup) return;
      const { jobs, gh, pr, trigger } = setup;
      const known = jobs.knownJobs(pr);
      const words = ctx.command.positional.map((w) => w.toLowerCase());
      if (words.length === 0) {
        ctx.reply(`${codeSpan("/test")} needs the name of a job (or \`all\`). ${listJobs(known)}`);
        return;
      }
      const unknown = [...new Set(words.filter((w) => w !== "all" && !known.some((j) => j.name === w)))];
      if (unknown.length > 0) {
        ctx.reply(`I don't know ${unknown.map((u) => codeSpan(u)).join(", ")}, so nothing ran. ${listJobs(known)}`);
        return;
      }
      const twice = [...new Set(words.filter((w, i) => words.indexOf(w) !== i))];
      if (twice.length > 0) ctx.reply(`${twice.map((t) => codeSpan(t)).join(", ")} ${twice.length === 1 ? "was" : "were"} named more than once; each job runs once.`);
      const selected = words.includes("all") ? await jobs.matchingJobs(gh, pr) : known.filter((j) => words.includes(j.name));
      if (selected.length === 0) {
        ctx.reply(`No job applies to the changes of this pull request. ${listJobs(known)}`);
        return;
      }
      for (const job of selected) await jobs.startJob(pr, job, trigger);
    },
  };
}
