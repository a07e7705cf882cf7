import type { GitHubPort } from "../github/github-port.js";
import { repoOf, type PoolKey, type PrRef } from "./pool-types.js";

export interface StagingRequest {
  id: string;
  baseSha: string;
  /** Every PR the staging commit contains, in merge order. */
  prs: PrRef[];
  /** A staging commit that already holds the first PRs (the run ahead): only the rest are merged onto it. */
  stackOn?: { sha: string; prs: number };
}

export type StagingResult = { sha: string } | { conflict: PrRef; with: PrRef[] };

/**
 * How the queue gets its required checks run on a combination of PRs. Results come back as contexts on the
 * returned commit (status or check_run webhooks → the context cache), whatever CI produces them.
 *
 * - `stagingBranchCi`: builds the staging commit with the git refs + merges API and publishes it as branch
 *   `mario/queue/<branch>/<id>`; any CI that runs on pushes to `mario/queue/**` reports there.
 * - `createStagingJobs(…).ci` (staging-jobs.ts; what mario.ts wires): `stagingBranchCi`, plus the pool's
 *   required mario jobs started as PipelineRuns on the staging sha and reported as check runs `mario/<job>`
 *   there; its cancel also cancels those PipelineRuns (in a work job, so that the cluster never holds up the queue).
 */
export interface QueueCi {
  start(gh: GitHubPort, pool: PoolKey, request: StagingRequest): Promise<StagingResult>;
  /** Stops a run: its staging branch is deleted (CI systems cancel runs of deleted refs) and mario's runs cancelled. */
  cancel(gh: GitHubPort, pool: PoolKey, runId: string): Promise<void>;
}

/** Prefix of every staging branch of a pool (the reconcile deletes those no run in flight owns). */
export const stagingPrefix = (pool: PoolKey) => `mario/queue/${pool.branch}/`;

export const stagingBranch = (pool: PoolKey, runId: string) => `${stagingPrefix(pool)}${runId}`;
/** One scratch branch per pool: its driver builds one staging commit at a time. */
const scratchBranch = (pool: PoolKey) => `mario/queue-build/${pool.branch}`;

/** Whether `head` merges cleanly onto `baseSha`: a trial merge on the pool's scratch branch (no CI sees it). */
export async function mergesCleanly(gh: GitHubPort, pool: PoolKey, baseSha: string, head: string): Promise<boolean> {
  const repo = repoOf(pool);
  await gh.moveBranch(repo, scratchBranch(pool), baseSha);
  return (await gh.mergeIntoBranch(repo, scratchBranch(pool), head, "Trial merge (merge queue)")) !== "conflict";
}

export const stagingBranchCi: QueueCi = {
  async start(gh, pool, request) {
    const repo = repoOf(pool);
    const from = request.stackOn ?? { sha: request.baseSha, prs: 0 };
    const toMerge = request.prs.slice(from.prs);
    // Built on a scratch branch and published once complete, so CI sees one push, not one per merge.
    const scratch = scratchBranch(pool);
    await gh.moveBranch(repo, scratch, from.sha);
    let sha = from.sha;
    for (const [i, pr] of toMerge.entries()) {
      const result = await gh.mergeIntoBranch(repo, scratch, pr.sha, `Merge #${pr.number} into the merge queue's staging commit`);
      if (result === "conflict") return { conflict: pr, with: request.prs.slice(0, from.prs + i) };
      sha = result.sha;
    }
    await gh.createBranch(repo, stagingBranch(pool, request.id), sha);
    return { sha };
  },
  async cancel(gh, pool, runId) {
    await gh.deleteBranch(repoOf(pool), stagingBranch(pool, runId));
  },
};
