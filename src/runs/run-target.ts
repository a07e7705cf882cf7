import { repoFullName } from "../github/repo-full-name.js";
import { isHttpUrl } from "../text/http-url.js";
import type { RunMeta } from "./run-record.js";

/** Where a run ran, in plain text and as an address: the web pages escape it as HTML, Slack as mrkdwn. */
export interface RunTarget {
  /**
   * `octo/demo#42` (a pull request), `octo/demo:main` (a periodic run's branch), `merge queue staging of
   * octo/demo:main (PRs #1 #2)`; without the repository (`#42`, `main`, …) where it is shown beside it.
   */
  label: string;
  /** What the run tested on GitHub (the PR, the branch, the staging commit); absent unless an http(s) address. */
  url?: string;
}

/**
 * The one description of what a run ran on, for every place that shows it. Periodic and staging runs have no PR
 * (number 0): a periodic run names its branch; a staging run the base branch of its pool and the PRs of its batch
 * (absent from a record rebuilt from the cluster).
 */
export function runTarget(meta: Pick<RunMeta, "repo" | "pr" | "prUrl" | "kind" | "branch" | "prs">, opts: { repo?: boolean } = {}): RunTarget {
  const repo = opts.repo === false ? "" : repoFullName(meta.repo);
  const onBranch = [repo, meta.branch].filter(Boolean).join(":");
  let label: string;
  if (meta.kind === "staging") {
    const prs = meta.prs?.length ? ` (${meta.prs.length === 1 ? "PR" : "PRs"} ${meta.prs.map((n) => `#${n}`).join(" ")})` : "";
    label = `merge queue staging${onBranch ? ` of ${onBranch}` : ""}${prs}`;
  } else if (meta.kind === "periodic") {
    label = onBranch || "periodic run";
  } else {
    label = `${repo}#${meta.pr}`;
  }
  return isHttpUrl(meta.prUrl) ? { label, url: meta.prUrl } : { label };
}
