import type { GitHubPort, PullRequestInfo, RepoRef } from "../github/github-port.js";
import { GitHubRateLimitedError } from "../github/rate-limit-guard.js";
import type { MergeMethod, MergeQueueConfig } from "./merge-queue-config.js";

export type MergeOutcome =
  | { kind: "merged"; sha: string }
  /** The head moved since it was tested: never merged untested. */
  | { kind: "changed"; message: string }
  | { kind: "unmergeable"; message: string }
  /** The app may not merge here: the pool stops and says so. */
  | { kind: "unauthorized"; message: string };

/** Merges one PR with its expected head, retrying "base branch modified" with backoff (4 s, doubling, as Tide). */
export async function mergePr(
  gh: GitHubPort,
  repo: RepoRef,
  pr: PullRequestInfo,
  sha: string,
  config: MergeQueueConfig,
  sleep: (ms: number) => Promise<void>,
): Promise<MergeOutcome> {
  const method = mergeMethodOf(pr, config);
  const title = config.commitTitle ? renderCommitTemplate(config.commitTitle, pr) : undefined;
  const body = config.commitBody ? renderCommitTemplate(config.commitBody, pr) : undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const { sha: merged } = await gh.mergePullRequest(repo, pr.number, { sha, method, title, body });
      return { kind: "merged", sha: merged };
    } catch (error) {
      if (error instanceof GitHubRateLimitedError) throw error;
      const e = error as { status?: number; message?: string };
      const message = e.message ?? String(error);
      if (e.status === 401 || e.status === 403) return { kind: "unauthorized", message };
      if (e.status === 409) return { kind: "changed", message };
      if (e.status === 405 && /base branch (was )?modified/i.test(message) && attempt < config.mergeRetries) {
        await sleep(config.mergeRetryBaseMs * 2 ** attempt);
        continue;
      }
      if (e.status === 405 || e.status === 422) return { kind: "unmergeable", message };
      throw error;
    }
  }
}

export function mergeMethodOf(pr: Pick<PullRequestInfo, "labels">, config: MergeQueueConfig): MergeMethod {
  const labels = pr.labels.map((l) => l.toLowerCase());
  for (const method of ["squash", "rebase", "merge"] as const) if (labels.includes(config.methodLabels[method].toLowerCase())) return method;
  return config.method;
}

/** `{{pr.number}}`, `{{pr.title}}`, `{{pr.author}}`, `{{pr.headRef}}` in commit title/body templates. */
export function renderCommitTemplate(template: string, pr: PullRequestInfo): string {
  const values: Record<string, string> = { "pr.number": String(pr.number), "pr.title": pr.title, "pr.author": pr.author, "pr.headRef": pr.head.ref };
  return template.replace(/\{\{\s*([A-Za-z.]+)\s*\}\}/g, (all, name: string) => values[name] ?? all);
}
