import type { JobConfig } from "../jobs/jobs-config.js";
import { jobCheckName } from "../jobs/job-service.js";
import { presubmitsFor } from "../jobs/match-jobs.js";
import { repoOf, type PoolKey } from "./pool-types.js";

/**
 * mario's own required presubmit jobs for a pool (the `jobs` config): the jobs the merge queue runs on its
 * staging commits. Jobs limited to some paths are left out: they are "required if present" (Tide's reading),
 * which the PR's own check runs already show, and a staging commit is never held up by a job it does not run.
 */
export function stagingJobs(config: { jobs: readonly JobConfig[] }, pool: PoolKey): JobConfig[] {
  return presubmitsFor(config.jobs, repoOf(pool), pool.branch).filter((j) => j.required && !j.paths);
}

/** Their check runs `mario/<job>`: required on PR heads and on staging commits, exactly the jobs started there. */
export function requiredJobContexts(config: { jobs: readonly JobConfig[] }, pool: PoolKey): string[] {
  return stagingJobs(config, pool).map((j) => jobCheckName(j.name));
}
