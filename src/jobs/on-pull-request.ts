import type { GitHubForInstallation, RepoRef } from "../github/github-port.js";
import type { JobService, PullContext } from "./job-service.js";

/** `pull_request` webhook, normalized (handlers/pull-request.ts). */
export interface PullRequestEvent {
  deliveryId: string;
  installationId: number;
  action: "opened" | "synchronize" | "reopened" | "closed";
  repo: RepoRef;
  number: number;
  author: string;
  head: { sha: string; ref: string; repoFullName: string };
  base: { sha: string; ref: string };
  /** The previous head, on `synchronize`. */
  before?: string;
  htmlUrl: string;
  cloneUrl: string;
  repoHtmlUrl: string;
}

/**
 * Opened, pushed to or reopened: start the matching jobs on the new head (trusted or approved authors) or show
 * that they await `/ok-to-test`; then, on a push, cancel the job runs still going on older heads — after the new
 * runs exist, so the PR never shows no run at all. Closed: cancel every run of the PR.
 */
export async function onPullRequest(jobs: JobService, github: GitHubForInstallation, event: PullRequestEvent, attempt: { number: number; of: number }): Promise<void> {
  const pr: PullContext = {
    installationId: event.installationId,
    repo: event.repo,
    number: event.number,
    author: event.author,
    head: event.head,
    base: event.base,
    cloneUrl: event.cloneUrl,
    repoHtmlUrl: event.repoHtmlUrl,
    htmlUrl: event.htmlUrl,
  };
  if (event.action === "closed") {
    await jobs.state.setClosed(pr.repo, pr.number, true);
    await jobs.cancelAll(await jobs.unfinishedRuns(pr));
    return;
  }
  await jobs.state.setPullRequestOfHead(pr.repo, pr.head.sha, pr.number);
  if (event.action === "reopened") await jobs.state.setClosed(pr.repo, pr.number, false);
  // Marked before anything starts: a late start for the old head sees it and cancels itself.
  if (event.action === "synchronize" && event.before) await jobs.state.markSuperseded(pr.repo, event.before);

  const gh = await github(event.installationId);
  const matching = await jobs.matchingJobs(gh, pr);
  if (matching.length > 0) {
    if (await jobs.isApproved(gh, pr)) {
      for (const job of matching) await jobs.startJob(pr, job, { requester: pr.author, identity: `pr:${event.deliveryId}`, attempt });
    } else {
      await jobs.awaitApproval(gh, pr, matching);
    }
  }
  if (event.action === "synchronize") await jobs.cancelAll(await jobs.unfinishedRuns(pr, { notHead: pr.head.sha, jobOnly: true }));
}
