import type { Redis } from "ioredis";
import type { GitHubPort, LabelSpec, RepoRef } from "../github/github-port.js";
import type { ReviewConfig } from "../merge-queue/merge-queue-config.js";

/** Colours and descriptions of the labels mario manages, created in a repository the first time they are used. */
export function labelSpecs(labels: ReviewConfig["labels"]): Record<keyof ReviewConfig["labels"], LabelSpec> {
  return {
    lgtm: { name: labels.lgtm, color: "15dd18", description: "Looks good to me: a collaborator reviewed it." },
    approved: { name: labels.approved, color: "0ffa16", description: "Every changed file is approved by an OWNERS approver." },
    hold: { name: labels.hold, color: "e11d21", description: "Do not merge: someone put it on hold (/hold cancel lifts it)." },
    needsRebase: { name: labels.needsRebase, color: "e11d21", description: "Conflicts with its base branch; rebase it." },
  };
}

// GitHub compares repository and label names case-insensitively; the key prefix is the operator's, kept as given.
const ensuredKey = (prefix: string, repo: RepoRef, name: string) => `${prefix}label-ensured:${`${repo.owner}/${repo.name}:${name}`.toLowerCase()}`;

/**
 * Adds a label to a PR, creating it in the repository first (checked once a day per repository, remembered in
 * Redis). Remembered only once it exists: GitHub would create a missing label itself, grey and undescribed.
 */
export async function addManagedLabel(gh: GitHubPort, redis: Redis, prefix: string, repo: RepoRef, issue: number, spec: LabelSpec): Promise<void> {
  const key = ensuredKey(prefix, repo, spec.name);
  if (!(await redis.exists(key))) {
    await gh.ensureLabel(repo, spec);
    await redis.set(key, "1", "EX", 24 * 3600);
  }
  await gh.addLabels(repo, issue, [spec.name]);
}

/** A label was deleted from the repository (`label.deleted`): the next use creates it again, with its colour. */
export async function forgetLabel(redis: Redis, prefix: string, repo: RepoRef, name: string): Promise<void> {
  await redis.del(ensuredKey(prefix, repo, name));
}
