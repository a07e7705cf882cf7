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
 * that they await `/ok-to-test`; then, on a push, cancel the job runs still going on heads a push replaced —
 * after the new runs exist, so the PR never shows no run at all. Closed: cancel every run of the PR.
 *
 * Webhooks may be handled out of order. A push's event marks the head it replaced as superseded, so an older
 * push handled late finds its own head superseded and starts nothing, and only runs of superseded heads are
 * cancelled (never the current head's). Closed and reopened are decided by the PR's state as GitHub has it now,
 * so a late `closed` after `reopened` changes nothing.
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
  const gh = await github(event.installationId);
  if (event.action === "closed" || event.action === "reopened") {
    const now = await gh.getPullRequest(pr.repo, pr.number);
    const open = now ? now.state === "open" : event.action === "reopened";
    if (!open) {
      await jobs.state.setClosed(pr.repo, pr.number, true);
      await jobs.cancelAll(await jobs.unfinishedRuns(pr));
      await jobs.concludeAwaiting(gh, pr.repo, (now ?? pr).head.sha, "closed");
      return;
    }
    // Reopened since this `closed` was sent: the `reopened` event starts the jobs.
    if (event.action === "closed") return;
    await jobs.state.setClosed(pr.repo, pr.number, false);
  }
  await jobs.state.setPullRequestOfHead(pr.repo, pr.head.sha, pr.number);
  // Marked before anything starts: a late start for the old head sees it and cancels itself.
  if (event.action === "synchronize" && event.before) await jobs.state.markSuperseded(pr.repo, event.before);

  // An older push handled after a newer one: its head is already replaced, so nothing starts for it.
  const superseded = await jobs.state.isSuperseded(pr.repo, pr.head.sha);
  if (!superseded) {
    const matching = await jobs.matchingJobs(gh, pr);
    if (matching.length > 0) {
      if (await jobs.isApproved(gh, pr)) {
        for (const job of matching) await jobs.startJob(pr, job, { requester: pr.author, identity: `pr:${event.deliveryId}`, attempt });
      } else {
        await jobs.awaitApproval(gh, pr, matching);
      }
    }
  }
  // Also when this event's own head is replaced: what an earlier attempt of it recorded is cancelled too.
  if (event.action === "synchronize" || superseded) await jobs.cancelAll(await jobs.supersededRuns(pr));
  if (event.action === "synchronize") {
    if (event.before) await jobs.concludeAwaiting(gh, pr.repo, event.before, "superseded");
  }
}
