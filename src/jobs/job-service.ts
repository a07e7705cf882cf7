import type { MarioConfig } from "../config/config-schema.js";
import type { TemplateContext } from "../config/render-template.js";
import type { GitHubForInstallation, GitHubPort, PullRequestInfo, RepoRef } from "../github/github-port.js";
import { repoFullName } from "../github/repo-full-name.js";
import { pipelineRunNamespace } from "../kube/build-pipeline-run.js";
import { runName } from "../kube/labels.js";
import type { TektonPort } from "../kube/tekton-port.js";
import type { LogArchive } from "../logs/log-archive.js";
import type { RunRecord } from "../runs/run-record.js";
import { finishedStates, type RunState } from "../runs/run-status.js";
import type { RunStore } from "../runs/run-store.js";
import { beforeCreation, cancelBeforeCreation, isForkHead, startRun, type StartRunDeps } from "../runs/start-run.js";
import type { JobState } from "./job-state.js";
import type { JobConfig } from "./jobs-config.js";
import { pathsMatch, presubmitsFor } from "./match-jobs.js";
import type { TrustCheck } from "./trust.js";

/** A pull request as the job machinery needs it (from a webhook payload or from `pulls.get`). */
export interface PullContext {
  installationId: number;
  repo: RepoRef;
  number: number;
  author: string;
  head: { sha: string; ref: string; repoFullName: string };
  base: { sha: string; ref: string };
  cloneUrl: string;
  repoHtmlUrl: string;
  htmlUrl: string;
}

export function pullContext(installationId: number, repo: RepoRef, pr: PullRequestInfo): PullContext {
  return { installationId, repo, number: pr.number, author: pr.author, head: pr.head, base: pr.base, cloneUrl: pr.cloneUrl, repoHtmlUrl: pr.repoHtmlUrl, htmlUrl: pr.htmlUrl };
}

export interface JobTrigger {
  /** Who the runs are attributed to. */
  requester: string;
  /** Unique per trigger (delivery id…): run names derive from it, so a retried job finds its runs. */
  identity: string;
  attempt: { number: number; of: number };
  /** Told of each run started (Slack gives the runs a command started there a live message in its channel). */
  started?(namespace: string, name: string): Promise<void>;
}

export interface JobServiceDeps {
  config: MarioConfig;
  github: GitHubForInstallation;
  tekton: TektonPort;
  store: RunStore;
  state: JobState;
  archive: LogArchive;
  trusted: TrustCheck;
  startDeps: StartRunDeps;
  log: { warn(o: object, m: string): void };
}

/** Latest run of a job that did not succeed and is not under way: `/retest` runs it again. */
const retestStates: ReadonlySet<RunState> = new Set(["failed", "timed-out", "create-failed", "cancelled", "deleted"]);

const supersededMessage = "A newer push (or closing the pull request) made this run unnecessary before it was created.";

export const jobCheckName = (job: string) => `mario/${job}`;

/**
 * Presubmit jobs on pull requests: which jobs apply, starting them (trusted authors; others await
 * `/ok-to-test`), superseding the runs of an old head, cancelling, and what `/retest` should run again.
 */
export function createJobService(deps: JobServiceDeps) {
  const { config, state, store } = deps;

  /** Jobs for the PR: repository and base branch, then changed files (fetched only when a job has `paths`). */
  async function matchingJobs(gh: GitHubPort, pr: PullContext): Promise<JobConfig[]> {
    const candidates = presubmitsFor(config.jobs, pr.repo, pr.base.ref);
    if (!candidates.some((j) => j.paths)) return candidates;
    const files = await gh.listPullFiles(pr.repo, pr.number);
    return candidates.filter((j) => pathsMatch(j, files));
  }

  /** Every presubmit of the repository and base branch, whatever changed (explicit `/test <job>` may run any). */
  const knownJobs = (pr: PullContext) => presubmitsFor(config.jobs, pr.repo, pr.base.ref);

  async function stale(pr: PullContext): Promise<boolean> {
    return (await state.isSuperseded(pr.repo, pr.head.sha)) || (await state.isClosed(pr.repo, pr.number));
  }

  async function startJob(pr: PullContext, job: JobConfig, trigger: JobTrigger): Promise<"started" | "stale"> {
    const identity = `${trigger.identity}:${job.name}`;
    const namespace = pipelineRunNamespace(job.pipeline, config.defaults);
    const name = runName(job.name, pr.number, identity);
    if (await stale(pr)) {
      // An earlier attempt may have recorded this run (the cluster unreachable) or even created it: cancel it either way.
      await cancelRun(namespace, name);
      return "stale";
    }
    // Recorded before the run exists, so a push racing this start finds it (and /retest sees it) either way.
    await state.setRun(pr.repo, pr.head.sha, job.name, `${namespace}/${name}`);
    const context: TemplateContext = {
      repo: { owner: pr.repo.owner, name: pr.repo.name, fullName: repoFullName(pr.repo), cloneUrl: pr.cloneUrl, htmlUrl: pr.repoHtmlUrl },
      pr: { number: pr.number, headSha: pr.head.sha, headRef: pr.head.ref, baseRef: pr.base.ref, baseSha: pr.base.sha },
      requester: trigger.requester,
      command: job.name,
      args: {},
    };
    const checkRunId = await state.takeAwaiting(pr.repo, pr.head.sha, job.name);
    await startRun(deps.startDeps, {
      command: { verb: job.name, pipeline: job.pipeline },
      job: {
        kind: "job",
        job: job.name,
        checkName: jobCheckName(job.name),
        maskSecrets: job.maskSecrets,
        ...(checkRunId !== undefined ? { checkRunId } : {}),
      },
      context,
      fork: isForkHead(pr.repo, pr.head.repoFullName),
      commandLine: `/test ${job.name}`,
      prUrl: pr.htmlUrl,
      installationId: pr.installationId,
      identity,
      attempt: trigger.attempt,
    });
    // A push (or close) that arrived while this run was being created did not see it: cancel it here.
    if (await stale(pr)) await cancelRun(namespace, name);
    await trigger.started?.(namespace, name);
    return "started";
  }

  /**
   * Cancels an unfinished run (keeping what its running steps logged so far); one still being created is
   * flagged so it never is, or is cancelled as soon as it exists. False when there was nothing to cancel.
   */
  async function cancelRun(namespace: string, name: string): Promise<boolean> {
    let record = await store.get(namespace, name);
    if (!record || finishedStates.has(record.status.state)) return false;
    if (beforeCreation.has(record.status.state)) {
      const superseded = record.meta.kind === "job" && (await state.isSuperseded(record.meta.repo, record.meta.headSha));
      await cancelBeforeCreation(deps.startDeps, namespace, name, superseded ? supersededMessage : undefined);
      // Its creator may have created it meanwhile, having read the flag before it was set: then it is cancelled
      // in the cluster below (the interleavings are told in startRun, src/runs/start-run.ts).
      record = await store.get(namespace, name);
      if (!record || finishedStates.has(record.status.state) || beforeCreation.has(record.status.state)) return true;
    }
    // Tekton deletes the pods of a cancelled run: keep what the running steps logged so far.
    await deps.archive.archive(record, "snapshot").catch((error: unknown) => deps.log.warn({ err: error, run: name }, "could not snapshot logs before cancelling"));
    return deps.tekton.cancelPipelineRun(namespace, name);
  }

  async function records(keys: string[]): Promise<RunRecord[]> {
    const out = await Promise.all(keys.map((k) => { const [ns, n] = k.split("/") as [string, string]; return store.get(ns, n); }));
    return out.filter((r): r is RunRecord => r !== undefined);
  }

  /** Unfinished runs of the PR, optionally only job runs, or only those of one job (or command verb). */
  async function unfinishedRuns(pr: Pick<PullContext, "repo" | "number">, filter: { jobOnly?: boolean; name?: string } = {}): Promise<RunRecord[]> {
    const all = await records(await store.runsOfPullRequest(pr.repo, pr.number));
    return all.filter(
      (r) =>
        !finishedStates.has(r.status.state) &&
        (!filter.jobOnly || r.meta.kind === "job") &&
        (filter.name === undefined || r.meta.job === filter.name || r.meta.verb === filter.name),
    );
  }

  /** Unfinished job runs of the PR on heads a push replaced (never the current head's, whatever the event order). */
  async function supersededRuns(pr: Pick<PullContext, "repo" | "number">): Promise<RunRecord[]> {
    const runs = await unfinishedRuns(pr, { jobOnly: true });
    const heads = new Map<string, boolean>();
    for (const sha of new Set(runs.map((r) => r.meta.headSha))) heads.set(sha, await state.isSuperseded(pr.repo, sha));
    return runs.filter((r) => heads.get(r.meta.headSha));
  }

  async function cancelAll(list: RunRecord[]): Promise<RunRecord[]> {
    const cancelled: RunRecord[] = [];
    for (const r of list) if (await cancelRun(r.meta.namespace, r.meta.name)) cancelled.push(r);
    return cancelled;
  }

  /** A check run per job telling that the PR waits for a trusted user's `/ok-to-test`. */
  async function awaitApproval(gh: GitHubPort, pr: PullContext, jobs: JobConfig[]): Promise<void> {
    for (const job of jobs) {
      if (await state.hasAwaiting(pr.repo, pr.head.sha, job.name)) continue;
      const id = await gh.createCheckRun(pr.repo, {
        name: jobCheckName(job.name),
        headSha: pr.head.sha,
        status: "queued",
        externalId: `awaiting:${pr.number}:${job.name}`,
        output: {
          title: "Awaiting /ok-to-test",
          summary: `@${pr.author} is not a collaborator or member of ${pr.repo.owner}, so \`${job.name}\` does not run by itself. Someone trusted can review the change and comment \`/ok-to-test\` to run the jobs on this commit (${pr.head.sha.slice(0, 7)}).`,
        },
      });
      await state.setAwaiting(pr.repo, pr.head.sha, job.name, id);
    }
  }

  /** Concludes the "Awaiting /ok-to-test" check runs of a head that was pushed over or whose PR closed. */
  async function concludeAwaiting(gh: GitHubPort, repo: RepoRef, sha: string, why: "superseded" | "closed"): Promise<void> {
    const title = why === "superseded" ? "Superseded by a newer commit" : "Pull request closed";
    const summary = why === "superseded" ? `A newer commit was pushed before anyone approved ${sha.slice(0, 7)}; the jobs run (or await approval) on the new head.` : "The pull request was closed before anyone approved its jobs.";
    for (const [job, id] of Object.entries(await state.takeAllAwaiting(repo, sha))) {
      await gh.updateCheckRun(repo, id, { name: jobCheckName(job), headSha: sha, status: "completed", conclusion: "cancelled", completedAt: new Date().toISOString(), output: { title, summary } });
    }
  }

  /** Which of `jobs` `/retest` runs again: latest run failed, errored, was cancelled, or none exists. */
  async function needsRetest(pr: PullContext, jobs: JobConfig[]): Promise<JobConfig[]> {
    const latest = await state.runs(pr.repo, pr.head.sha);
    const out: JobConfig[] = [];
    for (const job of jobs) {
      const key = latest[job.name];
      if (!key) {
        out.push(job);
        continue;
      }
      const [ns, name] = key.split("/") as [string, string];
      const record = await store.get(ns, name);
      if (!record || retestStates.has(record.status.state)) out.push(job);
    }
    return out;
  }

  /**
   * What `/retest` (and Re-run failed checks) runs again: among the jobs that apply to the PR's changes and every
   * job that has a run on the head (say one run by `/test <job>` although its paths do not match), those whose
   * latest run did not succeed, or that never ran.
   */
  async function toRetest(gh: GitHubPort, pr: PullContext): Promise<JobConfig[]> {
    const [matching, recorded] = await Promise.all([matchingJobs(gh, pr), state.runs(pr.repo, pr.head.sha)]);
    return needsRetest(pr, knownJobs(pr).filter((j) => matching.includes(j) || recorded[j.name] !== undefined));
  }

  async function isApproved(gh: GitHubPort, pr: PullContext): Promise<boolean> {
    return (await deps.trusted(gh, pr.repo, pr.author)) || (await state.isApproved(pr.repo, pr.number, pr.head.sha, config.trust.okToTestPerPush));
  }

  return {
    matchingJobs,
    knownJobs,
    startJob,
    cancelRun,
    cancelAll,
    unfinishedRuns,
    supersededRuns,
    concludeAwaiting,
    needsRetest,
    toRetest,
    awaitApproval,
    isApproved,
    trusted: deps.trusted,
    state,
    perPushApproval: config.trust.okToTestPerPush,
  };
}

export type JobService = ReturnType<typeof createJobService>;
