import type { Context } from "probot";
import type { PullRequestEvent } from "../src/jobs/on-pull-request.js";

export type PullRequestIntake = (event: PullRequestEvent) => Promise<void>;

type PullRequestContext = Context<"pull_request.opened" | "pull_request.synchronize" | "pull_request.reopened" | "pull_request.closed">;

/** `pull_request` opened / synchronize / reopened / closed → a normalized PullRequestEvent on the queue. */
export async function onPullRequestEvent(context: PullRequestContext, intake: PullRequestIntake): Promise<void> {
  const { pull_request: pr, repository, installation } = context.payload;
  if (!installation) {
    context.log.warn({ delivery: context.id }, "pull_request without an installation; is mario installed as a GitHub App?");
    return;
  }
  const before = "before" in context.payload ? (context.payload as { before?: string }).before : undefined;
  await intake({
    deliveryId: context.id,
    installationId: installation.id,
    action: context.payload.action,
    repo: { owner: repository.owner.login, name: repository.name },
    number: pr.number,
    author: pr.user?.login ?? "ghost",
    head: { sha: pr.head.sha, ref: pr.head.ref, repoFullName: pr.head.repo?.full_name ?? "" },
    base: { sha: pr.base.sha, ref: pr.base.ref },
    ...(before ? { before } : {}),
    htmlUrl: pr.html_url,
    cloneUrl: pr.base.repo.clone_url,
    repoHtmlUrl: pr.base.repo.html_url,
  });
}
