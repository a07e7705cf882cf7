import { permissionAtLeast } from "../github/permission.js";
import { addManagedLabel, labelSpecs } from "../review/review-labels.js";
import { cancelArg, type ReviewCommandServices } from "../review/review-services.js";
import type { CommandDefinition } from "./command-definition.js";

/** `/lgtm`, `/lgtm cancel`: a collaborator's review mark (label `lgtm`); never the PR's own author. */
export function lgtmCommand(services: ReviewCommandServices): CommandDefinition {
  return {
    verb: "lgtm",
    permission: "write",
    needsOpenPullRequest: true,
    args: [cancelArg],
    help: {
      usage: "/lgtm [cancel]",
      description: "Mark the pull request as reviewed (label `lgtm`), or withdraw the mark. A new push removes it unless the git tree is unchanged.",
      who: "collaborators with write access, except the pull request's author",
      examples: ["/lgtm", "/lgtm cancel"],
    },
    async run(ctx) {
      const review = services.review;
      const pr = await ctx.pullRequest();
      if (!review || !pr) return;
      const repo = ctx.request.repo;
      const label = labelSpecs(review.review.labels).lgtm;
      if (ctx.args.cancel) {
        if (pr.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) await ctx.github.removeLabel(repo, pr.number, label.name);
        return;
      }
      if (pr.author.toLowerCase() === ctx.request.author.toLowerCase()) {
        ctx.reply("you cannot LGTM your own PR; ask another collaborator to review it.");
        return;
      }
      // Permission was checked by the command handler; kept explicit here because a label is the whole effect.
      if (!permissionAtLeast(await ctx.permission(), "write")) return;
      await addManagedLabel(ctx.github, review.redis, review.prefix, repo, pr.number, label);
    },
  };
}
