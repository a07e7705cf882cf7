import type { GitHubPort, PullRequestInfo, RepoRef } from "../github/github-port.js";
import { GitHubRateLimitedError } from "../github/rate-limit-guard.js";
import type { MergeMethod, MergeQueueConfig } from "./merge-queue-config.js";

export type MergeOutcome =
  | { kind: "merged"; sha: string }
  /** The head moved since it was tested: never merged untested. */
  | { kind: "changed"; message: string }
  /** GitHub said no (405/422): a conflict, or a rule of the repository (branch protection, merge methods). */
  | { kind: "refused"; message: string }
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
      if (e.status === 405 || e.status === 422) return { kind: "refused", message: githubMessage(error) ?? message };
      throw error;
    }
  }
}

/** GitHub's own words from an error response body (Octokit's message may add the docs URL). */
function githubMessage(error: unknown): string | undefined {
  const data = (error as { response?: { data?: { message?: unknown } } }).response?.data;
  return typeof data?.message === "string" ? data.message : undefined;
}

export function mergeMethodOf(pr: Pick<PullRequestInfo, "labels">, config: MergeQueueConfig): MergeMethod {
  const labels = pr.labels.map((l) => l.toLowerCase());
  for (const method of ["squash", "rebase", "merge"] as const) if (labels.includes(config.methodLabels[method].toLowerCase())) return method;
  return config.method;
}

const templateValues = (pr: PullRequestInfo): Record<string, string> => ({
  "pr.number": String(pr.number),
  "pr.title": pr.title,
  "pr.author": pr.author,
  "pr.headRef": pr.head.ref,
  "pr.body": pr.body ?? "",
});
export const commitTemplateVariables = Object.keys(templateValues({ number: 0, title: "", author: "", head: { ref: "" } } as PullRequestInfo));
const variablePattern = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** `{{pr.number}}`, `{{pr.title}}`, `{{pr.author}}`, `{{pr.headRef}}`, `{{pr.body}}` in commit title/body templates. */
export function renderCommitTemplate(template: string, pr: PullRequestInfo): string {
  const values = templateValues(pr);
  return template.replace(variablePattern, (all, name: string) => values[name] ?? all);
}

/** Variables a template names that no PR supplies (checked when the config is loaded). */
export function unknownTemplateVariables(template: string): string[] {
  return [...template.matchAll(variablePattern)].map((m) => m[1]!).filter((name) => !commitTemplateVariables.includes(name));
}
