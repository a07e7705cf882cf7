import type { PoolKey } from "./pool-types.js";

interface JobLike {
  name: string;
  repos: string[];
  branches?: string;
  paths?: string[];
  required?: boolean;
  schedule?: string;
}

/**
 * mario's own required presubmit jobs for a pool (issue 3's `jobs` config): their check runs are named
 * `mario/<job>`. Jobs limited to some paths are not listed: they are "required if present", which the PR's own
 * check runs already show.
 */
export function requiredJobContexts(config: { jobs?: unknown }, pool: PoolKey): string[] {
  const jobs = Array.isArray(config.jobs) ? (config.jobs as JobLike[]) : [];
  const full = `${pool.owner}/${pool.repo}`.toLowerCase();
  return jobs
    .filter((j) => j.required !== false && !j.schedule && !j.paths)
    .filter((j) => j.repos.some((r) => r.toLowerCase() === full || (r.endsWith("/*") && r.slice(0, -2).toLowerCase() === pool.owner.toLowerCase())))
    .filter((j) => new RegExp(j.branches ?? "^.*$", "u").test(pool.branch))
    .map((j) => `mario/${j.name}`);
}
