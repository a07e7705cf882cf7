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
  /** The description (commit body templates); absent when the source did not carry it. */
  body?: string;
  /** When GitHub last changed the PR: a webhook payload older than the stored one is stale. */
  updatedAt?: string;
  /** GitHub's mergeability: false = conflicts with the base; null or absent = not computed or not given. */
  mergeable?: boolean | null;
  /** The commit a merge produced on the base branch (merged PRs). */
  mergeCommitSha?: string;
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
  // ---- reviews and the merge queue (src/review, src/merge-queue) ----
  /** Creates the label when the repository lacks it; an existing one is left as it is. */
  ensureLabel(repo: RepoRef, label: LabelSpec): Promise<void>;
  addLabels(repo: RepoRef, issue: number, names: string[]): Promise<void>;
  /** Removes a label; a label that is not there is not an error. */
  removeLabel(repo: RepoRef, issue: number, name: string): Promise<void>;
  createStatus(repo: RepoRef, sha: string, status: CommitStatus): Promise<void>;
  listReviews(repo: RepoRef, pr: number): Promise<ReviewInfo[]>;
  listPullFiles(repo: RepoRef, pr: number): Promise<string[]>;
  /** A file's text at `ref`; undefined when it does not exist. */
  getFileContent(repo: RepoRef, path: string, ref: string): Promise<string | undefined>;
  listOpenPullRequests(repo: RepoRef, base?: string): Promise<PullRequestInfo[]>;
  /** The branch head and the status contexts its protection requires (empty when unprotected). */
  getBranch(repo: RepoRef, branch: string): Promise<BranchInfo | undefined>;
  /** The git tree of a commit (a rebase that changed nothing keeps it). */
  getCommitTree(repo: RepoRef, sha: string): Promise<string>;
  /** Every status and check run on a commit, as contexts. */
  getCommitContexts(repo: RepoRef, sha: string): Promise<ContextResult[]>;
  createBranch(repo: RepoRef, branch: string, sha: string): Promise<void>;
  /** Points a branch at a commit (force), creating it when missing. */
  moveBranch(repo: RepoRef, branch: string, sha: string): Promise<void>;
  /** Deletes a branch; a missing one is not an error. */
  deleteBranch(repo: RepoRef, branch: string): Promise<void>;
  /** Names of the branches starting with `prefix`. */
  listBranches(repo: RepoRef, prefix: string): Promise<string[]>;
  /** Merges `head` into `branch` (merges API); "conflict" when git cannot. */
  mergeIntoBranch(repo: RepoRef, branch: string, head: string, message: string): Promise<{ sha: string } | "conflict">;
  mergePullRequest(repo: RepoRef, pr: number, options: MergeOptions): Promise<{ sha: string }>;
  // ---- what was reported before, when Redis lost a run's record (src/runs/report-run.ts) ----
  /** The check run on `headSha` named `name` whose external_id is `externalId`, if any. */
  findCheckRun(repo: RepoRef, headSha: string, name: string, externalId: string): Promise<number | undefined>;
  /** A comment by a bot (mario) on the issue whose body contains `marker`, if any. */
  findBotComment(repo: RepoRef, issue: number, marker: string): Promise<number | undefined>;
  // ---- jobs and logs (src/jobs, src/logs) ----
  /** Whether `user` is a member of the organization `org` (false for user accounts and non-members). */
  isOrgMember(org: string, user: string): Promise<boolean>;
  /** Visibility and URLs of a repository; undefined when it does not exist (or mario cannot see it). */
  getRepository(repo: RepoRef): Promise<RepositoryInfo | undefined>;
}

export interface RepositoryInfo {
  private: boolean;
  cloneUrl: string;
  htmlUrl: string;
  defaultBranch: string;
}

export interface LabelSpec {
  name: string;
  color: string;
  description: string;
}

export interface CommitStatus {
  state: "pending" | "success" | "failure" | "error";
  context: string;
  description: string;
  targetUrl?: string;
}

export interface ReviewInfo {
  user: string;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED" | "PENDING";
  submittedAt: string;
}

export interface BranchInfo {
  sha: string;
  requiredContexts: string[];
}

/** One status context or check run, reduced to what a merge decision needs. */
export interface ContextResult {
  context: string;
  state: "pending" | "success" | "failure";
  description: string;
  url: string;
}

export interface MergeOptions {
  /** The head the PR must still have: a push at the last moment makes the merge fail instead of merging untested code. */
  sha: string;
  method: "merge" | "squash" | "rebase";
  title?: string;
  body?: string;
}

/** GitHub access for one installation (installation tokens are per installation). */
export type GitHubForInstallation = (installationId: number) => Promise<GitHubPort>;
