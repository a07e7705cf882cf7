import { addManagedLabel, labelSpecs } from "../review/review-labels.js";
import { cancelArg, type ReviewCommandServices } from "../review/review-services.js";
import type { CommandDefinition } from "./command-definition.js";

/** `/hold`, `/hold cancel`: anyone may stop a PR from merging (label `do-not-merge/hold`). */
export function holdCommand(services: ReviewCommandServices): CommandDefinition {
  return {
    verb: "hold",
    permission: "none",
    needsOpenPullRequest: true,
    args: [cancelArg],
    help: {
      usage: "/hold [cancel]",
      description: "Keep the pull request out of the merge queue (label `do-not-merge/hold`), or lift the hold.",
      who: "anyone",
      examples: ["/hold", "/hold cancel"],
    },
    async run(ctx) {
      const review = services.review;
      const pr = await ctx.pullRequest();
      if (!review || !pr) return;
      const label = labelSpecs(review.review.labels).hold;
      const has = pr.labels.some((l) => l.toLowerCase() === label.name.toLowerCase());
      if (ctx.args.cancel) {
        if (has) await ctx.github.removeLabel(ctx.request.repo, pr.number, label.name);
      } else if (!has) {
        await addManagedLabel(ctx.github, review.redis, review.prefix, ctx.request.repo, pr.number, label);
      }
    },
  };
}
