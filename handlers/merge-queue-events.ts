import type { Context } from "probot";
import type { ContextResult } from "../src/github/github-port.js";
import { toPullRequestInfo } from "../src/github/octokit-github.js";
import { checkRunState } from "../src/github/octokit-queue-methods.js";
import type { MergeQueueEvent } from "../src/merge-queue/merge-queue-service.js";

export type MergeQueueIntake = (event: MergeQueueEvent, deliveryId: string) => Promise<void>;

export const pullRequestActions = [
  "pull_request.opened",
  "pull_request.reopened",
  "pull_request.synchronize",
  "pull_request.closed",
  "pull_request.labeled",
  "pull_request.unlabeled",
  "pull_request.ready_for_review",
  "pull_request.converted_to_draft",
  "pull_request.edited",
] as const;

const base = (context: { payload: { installation?: { id: number }; repository: { owner: { login: string } | null; name: string } } }) =>
  context.payload.installation ? { installationId: context.payload.installation.id, owner: context.payload.repository.owner?.login ?? "", repo: context.payload.repository.name } : undefined;

/** pull_request: the PR as the payload shows it (labels, draft, head, base) keeps the pool's snapshot current. */
export async function onQueuePullRequest(context: Context<(typeof pullRequestActions)[number]>, intake: MergeQueueIntake): Promise<void> {
  const b = base(context);
  if (!b) return;
  const before = "before" in context.payload ? (context.payload as { before?: string }).before : undefined;
  await intake({ ...b, kind: "pull_request", action: context.payload.action, pr: toPullRequestInfo(context.payload.pull_request as never), ...(before ? { before } : {}) }, context.id);
}

/** pull_request_review.submitted: an approving review may act as /lgtm and /approve. */
export async function onQueueReview(context: Context<"pull_request_review.submitted">, intake: MergeQueueIntake): Promise<void> {
  const b = base(context);
  if (!b) return;
  const { review, pull_request: pr } = context.payload;
  const info = toPullRequestInfo({ ...(pr as object), merged: false, draft: Boolean((pr as { draft?: boolean }).draft) } as never);
  await intake({ ...b, kind: "review", pr: info, review: { user: review.user?.login ?? "ghost", state: review.state.toLowerCase() } }, context.id);
}

/** status: a commit status, for a PR head or a staging commit. */
export async function onQueueStatus(context: Context<"status">, intake: MergeQueueIntake): Promise<void> {
  const b = base(context);
  if (!b) return;
  const p = context.payload;
  if (p.context === "mario/merge-queue") return; // our own
  const result: ContextResult = { context: p.context, state: p.state === "success" ? "success" : p.state === "pending" ? "pending" : "failure", description: p.description ?? "", url: p.target_url ?? "" };
  await intake({ ...b, kind: "status", sha: p.sha, contexts: [result] }, context.id);
}

/** check_run: a check run's result, counted like a status context (Tide's reading of conclusions). */
export async function onQueueCheckRun(context: Context<"check_run">, intake: MergeQueueIntake): Promise<void> {
  const b = base(context);
  if (!b) return;
  const run = context.payload.check_run;
  const result: ContextResult = { context: run.name, state: checkRunState(run.status, run.conclusion), description: run.output?.title ?? "", url: run.details_url ?? run.html_url ?? "" };
  await intake({ ...b, kind: "status", sha: run.head_sha, contexts: [result] }, context.id);
}

/** label.deleted: mario creates a label it manages again (with its colour) the next time it needs it. */
export async function onQueueLabelDeleted(context: Context<"label.deleted">, intake: MergeQueueIntake): Promise<void> {
  const b = base(context);
  if (!b) return;
  await intake({ ...b, kind: "label-deleted", label: context.payload.label.name }, context.id);
}

/** push: the base branch moved (merges by people or other bots, or mario's own); `before` tells a late one apart. */
export async function onQueuePush(context: Context<"push">, intake: MergeQueueIntake): Promise<void> {
  const b = base(context);
  if (!b) return;
  const { ref, before, after, deleted, forced } = context.payload;
  if (deleted || !ref.startsWith("refs/heads/")) return;
  await intake({ ...b, kind: "push", branch: ref.slice("refs/heads/".length), before, after, forced }, context.id);
}
