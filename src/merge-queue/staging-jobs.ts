import type { Redis } from "ioredis";
import type { MarioConfig } from "../config/config-schema.js";
import type { GitHubForInstallation, RepoRef } from "../github/github-port.js";
import { checkRunState } from "../github/octokit-queue-methods.js";
import { jobCheckName } from "../jobs/job-service.js";
import { pipelineRunNamespace } from "../kube/build-pipeline-run.js";
import { runName } from "../kube/labels.js";
import { renderCheckRun } from "../runs/render-run-report.js";
import { finishedStates } from "../runs/run-status.js";
import type { RunStore } from "../runs/run-store.js";
import { isForkHead, startRun, type StartRunDeps } from "../runs/start-run.js";
import type { MergeQueueEvent } from "./merge-queue-service.js";
import type { PoolStore } from "./pool-store.js";
import { poolId, repoOf, type PoolKey } from "./pool-types.js";
import { stagingBranch, stagingBranchCi, type QueueCi } from "./queue-ci.js";
import { stagingJobs } from "./required-jobs.js";

/** The `staging-jobs` work job: start the pool's required jobs on one staging commit. Plain JSON. */
export interface StagingJobsRequest {
  installationId: number;
  owner: string;
  repo: string;
  branch: string;
  runId: string;
  sha: string;
  baseSha: string;
  prs: number[];
  /** A PR of the batch comes from a fork: its runs get only the secrets declared fork-safe. */
  fork: boolean;
  cloneUrl: string;
  htmlUrl: string;
  /** When the queue asked (ms): a cancellation recorded later than this stops it. */
  requestedAt: number;
}

/** The `staging-cancel` work job: cancel the runs recorded for one staging run of a pool. Plain JSON. */
export interface StagingCancelRequest {
  owner: string;
  repo: string;
  branch: string;
  runId: string;
}

export interface StagingJobsDeps {
  config: MarioConfig;
  redis: Redis;
  /** Redis key prefix, with its trailing colon. */
  prefix: string;
  github: GitHubForInstallation;
  /** The pools' snapshots: which PRs of a batch come from forks, and the repository's URLs. */
  pools: PoolStore;
  store: RunStore;
  startDeps: StartRunDeps;
  publicUrl: string;
  installationFor(repo: RepoRef): Promise<number>;
  /** Queues the `staging-jobs` work job (retried with backoff while the cluster is unreachable). */
  enqueue(request: StagingJobsRequest, id: string): Promise<void>;
  /** Queues the `staging-cancel` work job (retried with backoff while the cluster is unreachable). */
  enqueueCancel(request: StagingCancelRequest, id: string): Promise<void>;
  /** Cancels an unfinished run (`spec.status: Cancelled`), keeping what it logged so far. */
  cancelRun(namespace: string, name: string): Promise<boolean>;
  /** Builds and publishes staging commits; default `stagingBranchCi`. */
  branches?: QueueCi;
}

const ttlSeconds = 7 * 24 * 3600;

/**
 * mario's own required jobs on the merge queue's staging commits. `ci` builds the staging branch, then queues
 * the start of the pool's required jobs (`stagingJobs`, the very contexts the queue requires there) as
 * PipelineRuns on the staging sha, reported as check runs `mario/<job>` on it. Runs are named after the pool,
 * staging run and sha, so a retried start finds its runs instead of creating more; they have no PR (pr 0), so a
 * push to a PR never supersedes them — only the queue cancels them, with its staging run.
 */
export function createStagingJobs(deps: StagingJobsDeps) {
  const branches = deps.branches ?? stagingBranchCi;
  const runKey = (pool: PoolKey, runId: string) => `${deps.prefix}staging-runs:${poolId(pool)}#${runId}`;
  const cancelKey = (pool: PoolKey, runId: string) => `${deps.prefix}staging-cancelled:${poolId(pool)}#${runId}`;
  const poolOf = (r: StagingCancelRequest): PoolKey => ({ owner: r.owner, repo: r.repo, branch: r.branch });

  const cancelled = async (r: StagingJobsRequest) => Number((await deps.redis.get(cancelKey(poolOf(r), r.runId))) ?? 0) >= r.requestedAt;

  /** Recorded runs of a staging run that are not finished (a run recorded but not yet created is `startJobs`'s to cancel). */
  async function unfinishedRecorded(pool: PoolKey, runId: string): Promise<[string, string][]> {
    const out: [string, string][] = [];
    for (const run of await deps.redis.smembers(runKey(pool, runId))) {
      const [namespace, name] = run.split("/") as [string, string];
      const record = await deps.store.get(namespace, name);
      if (record && !finishedStates.has(record.status.state)) out.push([namespace, name]);
    }
    return out;
  }

  async function cancelRecorded(pool: PoolKey, runId: string): Promise<void> {
    for (const [namespace, name] of await unfinishedRecorded(pool, runId)) await deps.cancelRun(namespace, name);
  }

  const ci: QueueCi = {
    async start(gh, pool, request) {
      if (stagingJobs(deps.config, pool).length === 0) return branches.start(gh, pool, request);
      // Everything that may fail is looked up before the staging branch exists.
      const repo = repoOf(pool);
      const known = new Map(((await deps.pools.snapshot(pool))?.prs ?? []).map((p) => [p.number, p]));
      // A PR the snapshot does not know counts as a fork: no secrets it might not be entitled to.
      const fork = request.prs.some((p) => isForkHead(repo, known.get(p.number)?.head.repoFullName ?? ""));
      const any = known.get(request.prs[0]?.number ?? 0);
      const urls = any ? { cloneUrl: any.cloneUrl, htmlUrl: any.repoHtmlUrl } : await gh.getRepository(repo);
      if (!urls) throw new Error(`${pool.owner}/${pool.repo} not found`);
      const installationId = await deps.installationFor(repo);
      const result = await branches.start(gh, pool, request);
      if ("conflict" in result) return result;
      await deps.enqueue(
        {
          installationId,
          ...pool,
          runId: request.id,
          sha: result.sha,
          baseSha: request.baseSha,
          prs: request.prs.map((p) => p.number),
          fork,
          cloneUrl: urls.cloneUrl,
          htmlUrl: urls.htmlUrl,
          requestedAt: Date.now(),
        },
        `${poolId(pool)}/${request.id}@${result.sha}`,
      );
      return result;
    },
    async cancel(gh, pool, runId) {
      // Only Redis and GitHub here: the queue's driver calls this before it merges, and a Kubernetes API that is
      // down or slow must not hold up merges. The cluster's part (log snapshots, PipelineRun patches) is a work
      // job, retried with backoff until the cluster answers. A run not created yet is `startJobs`'s to cancel:
      // it checks the cancel key once its runs exist.
      await deps.redis.set(cancelKey(pool, runId), String(Date.now()), "EX", ttlSeconds);
      if ((await unfinishedRecorded(pool, runId)).length > 0) await deps.enqueueCancel({ ...pool, runId }, `${poolId(pool)}/${runId}`);
      await branches.cancel(gh, pool, runId);
    },
  };

  /** The `staging-jobs` work job. Safe to repeat: run names derive from the request. */
  async function startJobs(r: StagingJobsRequest, attempt: { number: number; of: number }): Promise<void> {
    if (await cancelled(r)) return;
    const pool = poolOf(r);
    const prList = r.prs.map((n) => `#${n}`).join(" ");
    for (const job of stagingJobs(deps.config, pool)) {
      const identity = `staging:${poolId(pool)}:${r.runId}@${r.sha}:${job.name}`;
      const namespace = pipelineRunNamespace(job.pipeline, deps.config.defaults);
      // Recorded before the run exists, so a cancel racing this start finds it either way.
      await deps.redis.multi().sadd(runKey(pool, r.runId), `${namespace}/${runName(job.name, 0, identity)}`).expire(runKey(pool, r.runId), ttlSeconds).exec();
      await startRun(deps.startDeps, {
        command: { verb: job.name, pipeline: job.pipeline },
        job: { kind: "staging", job: job.name, checkName: jobCheckName(job.name), maskSecrets: job.maskSecrets, branch: r.branch, prs: r.prs },
        fork: r.fork,
        context: {
          repo: { owner: r.owner, name: r.repo, fullName: `${r.owner}/${r.repo}`, cloneUrl: r.cloneUrl, htmlUrl: r.htmlUrl },
          pr: { number: 0, headSha: r.sha, headRef: stagingBranch(pool, r.runId), baseRef: r.branch, baseSha: r.baseSha },
          requester: "mario",
          command: job.name,
          args: {},
        },
        commandLine: `${job.name} (merge queue: ${prList} on ${r.branch})`,
        prUrl: `${r.htmlUrl}/commit/${r.sha}`,
        installationId: r.installationId,
        identity,
        attempt,
      });
    }
    // The queue let go of this run while its jobs were being created: they stop now.
    if (await cancelled(r)) await cancelRecorded(pool, r.runId);
  }

  /** The `staging-cancel` work job. Safe to repeat: a cancelled run is finished, or cancelled again. */
  async function cancelJobs(r: StagingCancelRequest): Promise<void> {
    await cancelRecorded(poolOf(r), r.runId);
  }

  /**
   * A finished job run's result (on a staging commit or a PR head) as the merge queue reads a check_run webhook:
   * the queue learns it when the run is reported, even if that webhook is lost or late (recording it twice
   * changes nothing). Only finished results: a late report of an older state can never undo them.
   */
  async function resultOf(namespace: string, name: string): Promise<MergeQueueEvent | undefined> {
    const run = await deps.store.get(namespace, name);
    if (!run || (run.meta.kind !== "staging" && run.meta.kind !== "job") || !finishedStates.has(run.status.state)) return undefined;
    const check = renderCheckRun(run, deps.publicUrl);
    const context = { context: check.name, state: checkRunState(check.status, check.conclusion), description: check.output?.title ?? "", url: check.detailsUrl ?? "" };
    return { installationId: run.meta.installationId, owner: run.meta.repo.owner, repo: run.meta.repo.name, kind: "status", sha: run.meta.headSha, contexts: [context] };
  }

  return { ci, startJobs, cancelJobs, resultOf };
}

export type StagingJobs = ReturnType<typeof createStagingJobs>;
