import type { RepoRef } from "../github/github-port.js";
import { repoKey } from "../github/repo-full-name.js";
import type { JobConfig } from "./jobs-config.js";

/** Glob → RegExp: `**` any path (also none), `*` within a segment, `?` one character; the rest is literal. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      const slash = glob[i + 2] === "/";
      out += slash ? "(?:.*/)?" : ".*";
      i += slash ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

export function repoMatches(job: Pick<JobConfig, "repos">, repo: RepoRef): boolean {
  const full = repoKey(repo);
  return job.repos.some((p) => {
    const pattern = p.toLowerCase();
    return pattern.endsWith("/*") ? full.startsWith(pattern.slice(0, -1)) : pattern === full;
  });
}

/** Presubmit jobs of a repository and base branch, before looking at changed files. */
export function presubmitsFor(jobs: readonly JobConfig[], repo: RepoRef, baseRef: string): JobConfig[] {
  return jobs.filter((j) => j.schedule === undefined && repoMatches(j, repo) && new RegExp(j.branches, "u").test(baseRef));
}

/** Whether a job runs for these changed files (jobs without `paths` always do). */
export function pathsMatch(job: Pick<JobConfig, "paths">, files: readonly string[]): boolean {
  if (!job.paths) return true;
  const globs = job.paths.map(globToRegExp);
  return files.some((f) => globs.some((g) => g.test(f)));
}
