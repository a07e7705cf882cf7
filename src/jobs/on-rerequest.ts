import type { GitHubForInstallation, RepoRef } from "../github/github-port.js";
import { pullContext, type JobService } from "./job-service.js";

/** `check_run.rerequested` (Re-run) or `check_suite.rerequested` (Re-run failed checks), normalized. */
export interface RerequestEvent {
  deliveryId: string;
  installationId: number;
  repo: RepoRef;
  kind: "check-run" | "check-suite";
  headSha: string;
  /** The check run's name (check-run only). */
  checkName?: string;
  /** PRs GitHub links to the check (empty for PRs from forks). */
  pullRequests: number[];
  /** Who pressed the button. */
  sender: string;
}

/**
 * Re-run = `/test <job>`, Re-run failed checks = `/retest`, by the user who pressed it. Only trusted users, only
 * for the PR's current head; buttons on command checks (e.g. `/build`) are ignored.
 */
export async function onRerequest(jobs: JobService, github: GitHubForInstallation, event: RerequestEvent, attempt: { number: number; of: number }): Promise<"started" | "ignored"> {
  const number = event.pullRequests[0] ?? (await jobs.state.pullRequestOfHead(event.repo, event.headSha));
  if (number === undefined) return "ignored";
  const gh = await github(event.installationId);
  const info = await gh.getPullRequest(event.repo, number);
  if (!info || info.state !== "open" || info.head.sha !== event.headSha) return "ignored";
  if (!(await jobs.trusted(gh, event.repo, event.sender))) return "ignored";
  const pr = pullContext(event.installationId, event.repo, info);
  const trigger = { requester: event.sender, identity: `rerun:${event.deliveryId}`, attempt };
  if (event.kind === "check-run") {
    const job = jobs.knownJobs(pr).find((j) => `mario/${j.name}` === event.checkName);
    if (!job) return "ignored";
    await jobs.startJob(pr, job, trigger);
    return "started";
  }
  const again = await jobs.toRetest(gh, pr);
  for (const job of again) await jobs.startJob(pr, job, trigger);
  return again.length ? "started" : "ignored";
}
