import type { Permission } from "./permission.js";

/** The repository a piece of work is about. */
export interface RepoRef {
  owner: string;
  name: string;
}

export interface PullRequestInfo {
  number: number;
  state: "open" | "closed";
  merged: boolean;
  draft: boolean;
  author: string;
  title: string;
  htmlUrl: string;
  head: { sha: string; ref: string; repoFullName: string; cloneUrl: string };
  base: { sha: string; ref: string };
  cloneUrl: string;
  repoHtmlUrl: string;
  labels: string[];
}

export type CheckStatus = "queued" | "in_progress" | "completed";
export type CheckConclusion = "success" | "failure" | "neutral" | "cancelled" | "timed_out" | "action_required" | "skipped";

export interface CheckRunAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
}

export interface CheckRunFields {
  name: string;
  headSha: string;
  status: CheckStatus;
  conclusion?: CheckConclusion;
  detailsUrl?: string;
  externalId?: string;
  startedAt?: string;
  completedAt?: string;
  output?: { title: string; summary: string; text?: string; annotations?: CheckRunAnnotation[] };
}

/**
 * What mario's core needs from GitHub, for one installation. Implemented over Octokit; the core never sees
 * Probot or Octokit, so it can be driven by anything that speaks this interface.
 */
export interface GitHubPort {
  getPermission(repo: RepoRef, user: string): Promise<Permission>;
  getPullRequest(repo: RepoRef, number: number): Promise<PullRequestInfo | undefined>;
  createComment(repo: RepoRef, issue: number, body: string): Promise<number>;
  updateComment(repo: RepoRef, commentId: number, body: string): Promise<void>;
  createCheckRun(repo: RepoRef, fields: CheckRunFields): Promise<number>;
  updateCheckRun(repo: RepoRef, checkRunId: number, fields: CheckRunFields): Promise<void>;
}

/** GitHub access for one installation (installation tokens are per installation). */
export type GitHubForInstallation = (installationId: number) => Promise<GitHubPort>;
