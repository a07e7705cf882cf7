import { codeSpan } from "../text/markdown.js";
import { jobCommandSetup, trustedPhrase, type JobCommandServices } from "../jobs/job-commands.js";
import type { CommandDefinition } from "./command-definition.js";

/** `/ok-to-test [sha]`: a trusted user approves an outside contributor's commit for the jobs. */
export function okToTestCommand(services: JobCommandServices): CommandDefinition {
  return {
    verb: "ok-to-test",
    permission: "none",
    needsOpenPullRequest: true,
    args: [{ name: "sha", description: "The commit you reviewed; refused when the PR has moved on since.", positional: true, required: false, pattern: "^[0-9a-fA-F]{7,40}$" }],
    help: {
      usage: "/ok-to-test [sha]",
      description: "Approve the jobs of a pull request from someone outside the project, for its current head only (a later push needs a new approval unless configured otherwise). Give the commit you reviewed to be sure nobody pushed in between.",
      who: trustedPhrase,
      examples: ["/ok-to-test", "/ok-to-test 1a2b3c4"],
    },
    async run(ctx) {
      const setup = await jobCommandSetup(services, ctx);
      if (!setup) return;
      const { jobs, gh, pr, trigger } = setup;
      const pinned = ctx.args.sha?.toLowerCase();
      if (pinned && !pr.head.sha.startsWith(pinned)) {
        ctx.reply(`The pull request's head is now ${codeSpan(pr.head.sha.slice(0, 12))}, not ${codeSpan(pinned)}: someone pushed after the commit you reviewed. Look at the new commits and approve again.`);
        return;
      }
      await jobs.state.approve(pr.repo, pr.number, pr.head.sha);
      // With per-push approval off, the approval holds for later pushes too.
      if (!jobs.perPushApproval) await jobs.state.approve(pr.repo, pr.number, "*");
      const latest = await jobs.state.runs(pr.repo, pr.head.sha);
      const toStart = (await jobs.matchingJobs(gh, pr)).filter((j) => !latest[j.name]);
      if (toStart.length === 0) {
        ctx.reply(`Approved ${pr.head.sha.slice(0, 7)}; every job has already run or is running on it.`);
        return;
      }
      for (const job of toStart) await jobs.startJob(pr, job, trigger);
    },
  };
}
