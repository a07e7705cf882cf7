import type { Context } from "probot";
import type { CommentEvent } from "../src/work/handle-commands.js";

/** A quick look for a line that could be a command, so ordinary conversation never reaches the queue. */
const mayHoldCommand = /^[ ]{0,3}\/[A-Za-z]/m;

export type CommentIntake = (event: CommentEvent) => Promise<void>;

/**
 * `issue_comment.created` → a normalized CommentEvent on the queue. Only created comments count (edits never
 * re-run work); comments by bots (mario included) and on closed issues or PRs are ignored.
 */
export async function onIssueComment(context: Context<"issue_comment.created">, intake: CommentIntake): Promise<void> {
  const { comment, issue, repository, installation } = context.payload;
  if (comment.user?.type === "Bot" || comment.user?.login.endsWith("[bot]")) return;
  if (issue.state !== "open") return;
  if (!mayHoldCommand.test(comment.body ?? "")) return;
  if (!installation) {
    context.log.warn({ delivery: context.id }, "issue_comment without an installation; is mario installed as a GitHub App?");
    return;
  }
  await intake({
    deliveryId: context.id,
    installationId: installation.id,
    repo: { owner: repository.owner.login, name: repository.name },
    issueNumber: issue.number,
    isPullRequest: Boolean(issue.pull_request),
    author: comment.user?.login ?? "ghost",
    createdAt: comment.created_at,
    body: comment.body,
  });
}
