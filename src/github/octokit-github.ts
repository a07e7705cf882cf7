import type { Octokit } from "@octokit/rest";
import type { CheckRunFields, GitHubPort, PullRequestInfo, RepoRef } from "./github-port.js";
import { reviewAndQueueMethods } from "./octokit-queue-methods.js";
import { reportLookupMethods } from "./octokit-report-lookups.js";
import { lifecycleMethods } from "./octokit-lifecycle-methods.js";
import type { Permission } from "./permission.js";

type Rest = Pick<Octokit, "rest">;

/** GitHubPort over an authenticated Octokit (Probot's installation client or a plain @octokit/rest one). */
export function octokitGitHub(octokit: Rest): GitHubPort {
  const rest = octokit.rest;
  return {
    async getPermission(repo, user) {
      try {
        const { data } = await rest.repos.getCollaboratorPermissionLevel({ owner: repo.owner, repo: repo.name, username: user });
        // role_name distinguishes maintain and triage, which `permission` folds into write and read.
        const role = (data as { role_name?: string }).role_name ?? data.permission;
        return toPermission(role, data.permission);
      } catch (error) {
        if (isStatus(error, 404)) return "none";
        throw error;
      }
    },
    async getPullRequest(repo, number) {
      try {
        const { data } = await rest.pulls.get({ owner: repo.owner, repo: repo.name, pull_number: number });
        return toPullRequestInfo(data);
      } catch (error) {
        if (isStatus(error, 404)) return undefined;
        throw error;
      }
    },
    async createComment(repo, issue, body) {
      const { data } = await rest.issues.createComment({ owner: repo.owner, repo: repo.name, issue_number: issue, body });
      return data.id;
    },
    async updateComment(repo, commentId, body) {
      await rest.issues.updateComment({ owner: repo.owner, repo: repo.name, comment_id: commentId, body });
    },
    async createCheckRun(repo, fields) {
      const { data } = await rest.checks.create({ owner: repo.owner, repo: repo.name, ...checkRunBody(fields), head_sha: fields.headSha });
      return data.id;
    },
    async updateCheckRun(repo, checkRunId, fields) {
      await rest.checks.update({ owner: repo.owner, repo: repo.name, check_run_id: checkRunId, ...checkRunBody(fields) });
    },
    ...reviewAndQueueMethods(rest),
    ...lifecycleMethods(rest),
    ...reportLookupMethods(rest),
  };
}

function checkRunBody(f: CheckRunFields) {
  return {
    name: f.name,
    status: f.status,
    ...(f.conclusion ? { conclusion: f.conclusion } : {}),
    ...(f.detailsUrl ? { details_url: f.detailsUrl } : {}),
    ...(f.externalId ? { external_id: f.externalId } : {}),
    ...(f.startedAt ? { started_at: f.startedAt } : {}),
    ...(f.completedAt ? { completed_at: f.completedAt } : {}),
    ...(f.output ? { output: f.output } : {}),
  };
}

function toPermission(role: string, permission: string): Permission {
  const known: Permission[] = ["admin", "maintain", "write", "triage", "read", "none"];
  if ((known as string[]).includes(role)) return role as Permission;
  if ((known as string[]).includes(permission)) return permission as Permission;
  return "none";
}

export function isStatus(error: unknown, status: number): boolean {
  return typeof error === "object" && error !== null && (error as { status?: number }).status === status;
}

// The fields mario reads, from GitHub's pulls.get response.
interface PullData {
  number: number;
  state: string;
  merged?: boolean | null;
  draft?: boolean;
  title: string;
  html_url: string;
  user: { login: string } | null;
  labels: { name?: string }[];
  head: { sha: string; ref: string; repo: { full_name: string; clone_url: string } | null };
  base: { sha: string; ref: string; repo: { clone_url: string; html_url: string } };
  body?: string | null;
  updated_at?: string;
  mergeable?: boolean | null;
  merge_commit_sha?: string | null;
}

export function toPullRequestInfo(data: PullData): PullRequestInfo {
  return {
    number: data.number,
    state: data.state === "closed" ? "closed" : "open",
    merged: Boolean(data.merged),
    draft: Boolean(data.draft),
    author: data.user?.login ?? "ghost",
    title: data.title,
    htmlUrl: data.html_url,
    head: { sha: data.head.sha, ref: data.head.ref, repoFullName: data.head.repo?.full_name ?? "", cloneUrl: data.head.repo?.clone_url ?? data.base.repo.clone_url },
    base: { sha: data.base.sha, ref: data.base.ref },
    cloneUrl: data.base.repo.clone_url,
    repoHtmlUrl: data.base.repo.html_url,
    labels: data.labels.map((l) => l.name ?? "").filter(Boolean),
    ...(data.body != null ? { body: data.body } : {}),
    ...(data.updated_at ? { updatedAt: data.updated_at } : {}),
    ...(data.mergeable !== undefined ? { mergeable: data.mergeable } : {}),
    ...(data.merged && data.merge_commit_sha ? { mergeCommitSha: data.merge_commit_sha } : {}),
  };
}

export type { RepoRef };
