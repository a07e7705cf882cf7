import { recordVote, updateApproval } from "../review/approvals.js";
import { cancelArg, type ReviewCommandServices } from "../review/review-services.js";
import type { CommandDefinition } from "./command-definition.js";

/** `/approve`, `/approve cancel`: an OWNERS approver approves the files they own; `approved` once all are covered. */
export function approveCommand(services: ReviewCommandServices): CommandDefinition {
  return {
    verb: "approve",
    permission: "none",
    needsOpenPullRequest: true,
    args: [cancelArg],
    help: {
      usage: "/approve [cancel]",
      description: "Approve the changed files you are an OWNERS approver of; the `approved` label is added when every file is covered. One comment keeps track of who still needs to approve.",
      who: "approvers listed in OWNERS files (anyone may write it; only approvers count)",
      examples: ["/approve", "/approve cancel"],
    },
    async run(ctx) {
      const review = services.review;
      const pr = await ctx.pullRequest();
      if (!review || !pr) return;
      // Dated when written, not when handled: a retried or late job must not outrank a review submitted since.
      const at = Date.parse(ctx.request.createdAt ?? "") || Date.now();
      await recordVote(review, ctx.request.repo, pr.number, ctx.request.author, ctx.args.cancel ? "cancel" : "approve", at);
      await updateApproval(review, ctx.github, ctx.request.repo, pr);
    },
  };
}
