/**
 * Handlers of the fake GitHub, keyed by the OpenAPI operationId. The server has already routed, authenticated
 * and validated the request against GitHub's OpenAPI document when a handler runs, so bodies have the
 * documented shape. To add an endpoint: write a handler here (or in another `github-*.ts` file) and put it
 * into `githubRoutes`, or pass `routes: { "operation/id": handler }` to `startFakeGitHub`.
 */
import { randomBytes } from "node:crypto";
import { gitRoutes } from "./github-git-routes.js";
import { orgRoutes } from "./github-org-routes.js";
import {
  renderCheckRun,
  renderCollaboratorPermission,
  renderCombinedStatus,
  renderDiffEntry,
  renderInstallation,
  renderIntegration,
  renderIssueComment,
  renderLabel,
  renderPull,
  renderReaction,
  renderRepo,
  renderStatus,
  type RenderContext,
} from "./github-render.js";
import type {
  CheckRunRecord,
  CommentRecord,
  FakeGitHubState,
  IssueRecord,
  PermissionLevel,
  PullRequestRecord,
  RepoRecord,
  StatusRecord,
} from "./github-state.js";

export interface RouteContext {
  operationId: string;
  method: string;
  /** Path without the `/api/v3` prefix and query string. */
  path: string;
  /** Decoded path parameters. */
  params: Record<string, string>;
  query: Record<string, string | string[]>;
  /** Parsed JSON body (undefined when none). */
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  state: FakeGitHubState;
  render: RenderContext;
  /** The operation's documentation URL (for error bodies). */
  docUrl: string;
  /** The repository named by the `owner`/`repo` path parameters; throws 404 when unknown. */
  repo(): RepoRecord;
  /** An integer path parameter. */
  int(name: string): number;
  /** A single query parameter value. */
  queryParam(name: string): string | undefined;
  /** Records a violation (the bot did something GitHub would reject or that is surely a bug). */
  violation(message: string): void;
  /** Answers a list with GitHub's page/per_page slicing and Link header. */
  page<T>(items: T[], render: (item: T) => unknown): RouteResult;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (ctx: RouteContext) => RouteResult | Promise<RouteResult>;

/** Thrown by handlers to answer with a GitHub-style error body. */
export class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function notFound(message = "Not Found"): GitHubError {
  return new GitHubError(404, message);
}

/** GitHub's 422 "Validation Failed" with an `errors` array. */
export function validationFailed(errors: Record<string, unknown>[], message = "Validation Failed"): GitHubError {
  return new GitHubError(422, message, { errors });
}

const SHA = /^[0-9a-f]{40}$/;
const COMMENT_MAX = 65536;
const STATUS_DESCRIPTION_MAX = 140;

function bodyOf<T>(ctx: RouteContext): Partial<T> {
  return (ctx.body !== null && typeof ctx.body === "object" ? ctx.body : {}) as Partial<T>;
}

function issueOr404(ctx: RouteContext, repo: RepoRecord, number: number): IssueRecord {
  const issue = repo.issues.get(number);
  if (!issue) throw notFound();
  return issue;
}

function pullOr404(ctx: RouteContext, repo: RepoRecord): PullRequestRecord {
  const issue = repo.issues.get(ctx.int("pull_number"));
  if (!issue || issue.kind !== "pull") throw notFound();
  return issue as PullRequestRecord;
}

function commentOr404(ctx: RouteContext, repo: RepoRecord): CommentRecord {
  const comment = ctx.state.comment(ctx.int("comment_id"));
  if (!comment || comment.repo.toLowerCase() !== repo.fullName.toLowerCase()) throw notFound();
  return comment;
}

function checkRunOr404(ctx: RouteContext, repo: RepoRecord): CheckRunRecord {
  const run = ctx.state.checkRun(ctx.int("check_run_id"));
  if (!run || run.repo.toLowerCase() !== repo.fullName.toLowerCase()) throw notFound();
  return run;
}

function requireCommit(ctx: RouteContext, sha: string): void {
  if (!SHA.test(sha)) {
    ctx.violation(`"${sha}" is not a full 40-character commit sha`);
    throw new GitHubError(422, `No commit found for SHA: ${sha}`);
  }
}

function checkCommentBody(ctx: RouteContext, body: string): void {
  if (body.trim() === "") {
    ctx.violation("comment body is blank");
    throw validationFailed([{ resource: "IssueComment", code: "missing_field", field: "body" }]);
  }
  if (body.length > COMMENT_MAX) {
    ctx.violation(`comment body has ${body.length} characters; GitHub allows ${COMMENT_MAX}`);
    throw validationFailed([
      { resource: "IssueComment", code: "custom", field: "body", message: `body is too long (maximum is ${COMMENT_MAX} characters)` },
    ]);
  }
}

function labelsOfIssue(ctx: RouteContext, repo: RepoRecord, issue: IssueRecord): unknown[] {
  return issue.labels.map((name) => renderLabel(ctx.render, repo, ctx.state.addLabel(repo.fullName, name)));
}

const ROLE_TO_PERMISSION: Record<PermissionLevel, string> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
};

function randomToken(prefix: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(36);
  let out = prefix;
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

// ---- apps ----------------------------------------------------------------------------------------------------

const apps: Record<string, RouteHandler> = {
  "apps/create-installation-access-token": (ctx) => {
    const installation = ctx.state.installations.get(ctx.int("installation_id"));
    if (!installation) throw notFound();
    const body = bodyOf<{ permissions: Record<string, string>; repositories: string[] }>(ctx);
    const permissions = body.permissions ?? { ...installation.permissions };
    const expiresAt = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const token = randomToken("ghs_");
    ctx.state.issuedTokens.push({ token, installationId: installation.id, expiresAt, permissions });
    return {
      status: 201,
      body: { token, expires_at: expiresAt, permissions, repository_selection: installation.repositorySelection },
    };
  },
  "apps/get-authenticated": (ctx) => ({ status: 200, body: renderIntegration(ctx.render, ctx.state.app) }),
  "apps/get-repo-installation": (ctx) => {
    const repo = ctx.repo();
    const installation = ctx.state.installations.get(repo.installationId);
    if (!installation) throw notFound();
    return { status: 200, body: renderInstallation(ctx.render, installation) };
  },
};

// ---- repositories ------------------------------------------------------------------------------------------

const repos: Record<string, RouteHandler> = {
  "repos/get": (ctx) => ({ status: 200, body: renderRepo(ctx.render, ctx.repo(), { full: true }) }),

  "repos/get-collaborator-permission-level": (ctx) => {
    const repo = ctx.repo();
    const username = ctx.params.username ?? "";
    let level = repo.permissions.get(username.toLowerCase());
    if (level === undefined) {
      if (ctx.state.nonCollaborators === "not-found") throw notFound();
      level = repo.private ? "none" : "read";
    }
    const user = ctx.state.addUser(username);
    return { status: 200, body: renderCollaboratorPermission(ctx.render, user, ROLE_TO_PERMISSION[level], level) };
  },

  "repos/create-commit-status": (ctx) => {
    const repo = ctx.repo();
    const sha = ctx.params.sha ?? "";
    requireCommit(ctx, sha);
    const body = bodyOf<{ state: StatusRecord["state"]; target_url: string | null; description: string | null; context: string }>(ctx);
    if (body.description && body.description.length > STATUS_DESCRIPTION_MAX) {
      ctx.violation(`status description has ${body.description.length} characters; GitHub allows ${STATUS_DESCRIPTION_MAX}`);
      throw validationFailed([
        { resource: "Status", code: "custom", field: "description", message: `description is too long (maximum is ${STATUS_DESCRIPTION_MAX} characters)` },
      ]);
    }
    const now = ctx.state.now();
    const status: StatusRecord = {
      id: ctx.state.nextId(),
      repo: repo.fullName,
      sha,
      state: body.state ?? "pending",
      targetUrl: body.target_url ?? null,
      description: body.description ?? null,
      context: body.context ?? "default",
      creator: ctx.state.bot,
      createdAt: now,
      updatedAt: now,
    };
    ctx.state.statusesList.push(status);
    return { status: 201, body: renderStatus(ctx.render, repo, status) };
  },

  "repos/get-combined-status-for-ref": (ctx) => {
    const repo = ctx.repo();
    const sha = ctx.state.resolveRef(repo.fullName, ctx.params.ref ?? "");
    return { status: 200, body: renderCombinedStatus(ctx.render, repo, sha) };
  },
};

// ---- pull requests -----------------------------------------------------------------------------------------

const pulls: Record<string, RouteHandler> = {
  "pulls/get": (ctx) => {
    const repo = ctx.repo();
    return { status: 200, body: renderPull(ctx.render, repo, pullOr404(ctx, repo)) };
  },

  "pulls/list": (ctx) => {
    const repo = ctx.repo();
    const state = ctx.queryParam("state") ?? "open";
    const head = ctx.queryParam("head");
    const base = ctx.queryParam("base");
    const sort = ctx.queryParam("sort") ?? "created";
    const direction = ctx.queryParam("direction") ?? (sort === "popularity" || sort === "long-running" ? "desc" : "desc");
    let list = ctx.state.pullRequests(repo.fullName).filter((pr) => state === "all" || pr.state === state);
    if (head) {
      const [owner, ref] = head.includes(":") ? head.split(":", 2) : [undefined, head];
      list = list.filter((pr) => pr.head.ref === ref && (owner === undefined || pr.head.repo.split("/")[0]?.toLowerCase() === owner.toLowerCase()));
    }
    if (base) list = list.filter((pr) => pr.base.ref === base);
    const key = (pr: PullRequestRecord) => (sort === "updated" ? pr.updatedAt : pr.createdAt) + String(pr.number).padStart(10, "0");
    list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    if (direction === "desc") list.reverse();
    return ctx.page(list, (pr) => renderPull(ctx.render, repo, pr, { simple: true }));
  },

  "pulls/list-files": (ctx) => {
    const repo = ctx.repo();
    const pr = pullOr404(ctx, repo);
    return ctx.page(pr.files, (file) => renderDiffEntry(ctx.render, repo, pr, file));
  },

  "pulls/merge": (ctx) => {
    const repo = ctx.repo();
    const pr = pullOr404(ctx, repo);
    const body = bodyOf<{ sha: string; merge_method: "merge" | "squash" | "rebase"; commit_title: string }>(ctx);
    if (pr.merged || pr.state !== "open") throw new GitHubError(405, "Pull Request is not mergeable");
    if (pr.draft) throw new GitHubError(405, "Pull Request is still a draft");
    if (body.sha !== undefined && body.sha !== pr.head.sha) {
      throw new GitHubError(409, "Head branch was modified. Review and try the merge again.");
    }
    if (pr.mergeable === false) throw new GitHubError(405, "Pull Request is not mergeable");
    const now = ctx.state.now();
    pr.merged = true;
    pr.mergedAt = now;
    pr.mergedBy = ctx.state.bot;
    pr.mergeCommitSha = ctx.state.newSha();
    pr.state = "closed";
    pr.closedAt = now;
    pr.updatedAt = now;
    return { status: 200, body: { sha: pr.mergeCommitSha, merged: true, message: "Pull Request successfully merged" } };
  },
};

// ---- issues: comments, reactions, labels ------------------------------------------------------------------

const issues: Record<string, RouteHandler> = {
  "issues/create-comment": (ctx) => {
    const repo = ctx.repo();
    const issue = issueOr404(ctx, repo, ctx.int("issue_number"));
    const text = bodyOf<{ body: string }>(ctx).body ?? "";
    checkCommentBody(ctx, text);
    if (issue.locked) throw new GitHubError(403, "Unable to create comment because issue is locked.");
    const comment = ctx.state.addComment(repo.fullName, issue.number, { body: text });
    const rendered = renderIssueComment(ctx.render, repo, comment);
    return { status: 201, body: rendered, headers: { location: String(rendered.url) } };
  },

  "issues/update-comment": (ctx) => {
    const repo = ctx.repo();
    const comment = commentOr404(ctx, repo);
    const text = bodyOf<{ body: string }>(ctx).body ?? "";
    checkCommentBody(ctx, text);
    comment.body = text;
    comment.updatedAt = ctx.state.now();
    return { status: 200, body: renderIssueComment(ctx.render, repo, comment) };
  },

  "issues/list-comments": (ctx) => {
    const repo = ctx.repo();
    const issue = issueOr404(ctx, repo, ctx.int("issue_number"));
    const since = ctx.queryParam("since");
    const list = ctx.state
      .comments(repo.fullName, issue.number)
      .filter((c) => since === undefined || Date.parse(c.updatedAt) >= Date.parse(since));
    return ctx.page(list, (c) => renderIssueComment(ctx.render, repo, c));
  },

  "issues/delete-comment": (ctx) => {
    const repo = ctx.repo();
    const comment = commentOr404(ctx, repo);
    ctx.state.commentsById.delete(comment.id);
    for (let i = ctx.state.reactionsList.length - 1; i >= 0; i--) {
      if (ctx.state.reactionsList[i]?.commentId === comment.id) ctx.state.reactionsList.splice(i, 1);
    }
    return { status: 204 };
  },

  "reactions/create-for-issue-comment": (ctx) => {
    const repo = ctx.repo();
    const comment = commentOr404(ctx, repo);
    const content = bodyOf<{ content: string }>(ctx).content ?? "+1";
    const bot = ctx.state.bot;
    const existing = ctx.state.reactions(comment.id).find((r) => r.content === content && r.user.id === bot.id);
    if (existing) return { status: 200, body: renderReaction(ctx.render, existing) };
    const reaction = { id: ctx.state.nextId(), commentId: comment.id, content, user: bot, createdAt: ctx.state.now() };
    ctx.state.reactionsList.push(reaction);
    return { status: 201, body: renderReaction(ctx.render, reaction) };
  },

  "issues/add-labels": (ctx) => {
    const repo = ctx.repo();
    const issue = issueOr404(ctx, repo, ctx.int("issue_number"));
    for (const name of labelNames(ctx.body)) {
      const label = ctx.state.addLabel(repo.fullName, name);
      if (!issue.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) issue.labels.push(label.name);
    }
    issue.updatedAt = ctx.state.now();
    return { status: 200, body: labelsOfIssue(ctx, repo, issue) };
  },

  "issues/remove-label": (ctx) => {
    const repo = ctx.repo();
    const issue = issueOr404(ctx, repo, ctx.int("issue_number"));
    const name = (ctx.params.name ?? "").toLowerCase();
    const index = issue.labels.findIndex((l) => l.toLowerCase() === name);
    if (index < 0) throw notFound("Label does not exist");
    issue.labels.splice(index, 1);
    issue.updatedAt = ctx.state.now();
    return { status: 200, body: labelsOfIssue(ctx, repo, issue) };
  },

  "issues/list-labels-for-repo": (ctx) => {
    const repo = ctx.repo();
    return ctx.page(ctx.state.repoLabels(repo.fullName), (label) => renderLabel(ctx.render, repo, label));
  },

  "issues/create-label": (ctx) => {
    const repo = ctx.repo();
    const body = bodyOf<{ name: string; color: string; description: string }>(ctx);
    const name = body.name ?? "";
    if (repo.labels.has(name.toLowerCase())) {
      throw validationFailed([{ resource: "Label", code: "already_exists", field: "name" }]);
    }
    const label = ctx.state.addLabel(repo.fullName, name, {
      color: (body.color ?? "ededed").replace(/^#/, ""),
      description: body.description ?? null,
    });
    const rendered = renderLabel(ctx.render, repo, label);
    return { status: 201, body: rendered, headers: { location: String(rendered.url) } };
  },
};

/** The accepted shapes of an add-labels body: `{ labels: [...] }`, `[...]`, or a single string. */
function labelNames(body: unknown): string[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === "string"
      ? [body]
      : body && typeof body === "object" && Array.isArray((body as { labels?: unknown }).labels)
        ? ((body as { labels: unknown[] }).labels)
        : [];
  return list
    .map((item) => (typeof item === "string" ? item : item && typeof item === "object" ? (item as { name?: unknown }).name : undefined))
    .filter((name): name is string => typeof name === "string" && name !== "");
}

// ---- checks ------------------------------------------------------------------------------------------------

interface CheckRunBody {
  name: string;
  head_sha: string;
  details_url: string;
  external_id: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string;
  started_at: string;
  completed_at: string;
  output: { title?: string; summary?: string; text?: string; annotations?: unknown[]; images?: unknown[] };
  actions: unknown[];
}

function applyCheckRunBody(ctx: RouteContext, run: CheckRunRecord, body: Partial<CheckRunBody>): void {
  if (body.name !== undefined) run.name = body.name;
  if (body.details_url !== undefined) run.detailsUrl = body.details_url;
  if (body.external_id !== undefined) run.externalId = body.external_id;
  if (body.started_at !== undefined) run.startedAt = body.started_at;
  if (body.status !== undefined) run.status = body.status;
  if (body.conclusion !== undefined) {
    // "Providing conclusion will automatically set the status parameter to completed."
    run.conclusion = body.conclusion;
    run.status = "completed";
  }
  if (run.status === "completed") {
    if (run.conclusion === null) {
      ctx.violation("check run status is completed but no conclusion was given");
      throw validationFailed([{ resource: "CheckRun", code: "missing_field", field: "conclusion" }], "Invalid request.\n\nconclusion is required when status is completed.");
    }
    run.completedAt = body.completed_at ?? run.completedAt ?? ctx.state.now();
  } else if (body.completed_at !== undefined) {
    run.completedAt = body.completed_at;
  }
  if (body.output) {
    if (body.output.title !== undefined) run.output.title = body.output.title;
    if (body.output.summary !== undefined) run.output.summary = body.output.summary;
    if (body.output.text !== undefined) run.output.text = body.output.text;
    // Annotations and images are appended across updates, like on GitHub.
    if (body.output.annotations) run.output.annotations.push(...body.output.annotations);
    if (body.output.images) run.output.images.push(...body.output.images);
  }
  if (body.actions !== undefined) run.actions = body.actions;
}

const checks: Record<string, RouteHandler> = {
  "checks/create": (ctx) => {
    const repo = ctx.repo();
    const body = bodyOf<CheckRunBody>(ctx);
    const headSha = body.head_sha ?? "";
    requireCommit(ctx, headSha);
    const run: CheckRunRecord = {
      id: ctx.state.nextId(),
      repo: repo.fullName,
      name: body.name ?? "",
      headSha,
      status: "queued",
      conclusion: null,
      startedAt: ctx.state.now(),
      completedAt: null,
      detailsUrl: null,
      externalId: null,
      output: { title: null, summary: null, text: null, annotations: [], images: [] },
      actions: [],
      checkSuiteId: ctx.state.checkSuiteId(repo.fullName, headSha),
      appId: ctx.state.app.id,
    };
    applyCheckRunBody(ctx, run, body);
    ctx.state.checkRunsById.set(run.id, run);
    const rendered = renderCheckRun(ctx.render, repo, run);
    return { status: 201, body: rendered, headers: { location: String(rendered.url) } };
  },

  "checks/update": (ctx) => {
    const repo = ctx.repo();
    const run = checkRunOr404(ctx, repo);
    // Validate on a copy so a rejected update leaves the run untouched.
    const copy: CheckRunRecord = { ...run, output: { ...run.output, annotations: [...run.output.annotations], images: [...run.output.images] } };
    applyCheckRunBody(ctx, copy, bodyOf<CheckRunBody>(ctx));
    Object.assign(run, copy);
    return { status: 200, body: renderCheckRun(ctx.render, repo, run) };
  },

  "checks/get": (ctx) => {
    const repo = ctx.repo();
    return { status: 200, body: renderCheckRun(ctx.render, repo, checkRunOr404(ctx, repo)) };
  },

  "checks/list-for-ref": (ctx) => {
    const repo = ctx.repo();
    const sha = ctx.state.resolveRef(repo.fullName, ctx.params.ref ?? "");
    const name = ctx.queryParam("check_name");
    const status = ctx.queryParam("status");
    const filter = ctx.queryParam("filter") ?? "latest";
    let runs = ctx.state
      .checkRuns(repo.fullName, sha)
      .filter((r) => name === undefined || r.name === name)
      .filter((r) => status === undefined || r.status === status)
      .reverse();
    if (filter === "latest") {
      const seen = new Set<string>();
      runs = runs.filter((r) => (seen.has(r.name) ? false : (seen.add(r.name), true)));
    }
    const page = ctx.page(runs, (r) => renderCheckRun(ctx.render, repo, r));
    return { ...page, body: { total_count: runs.length, check_runs: page.body } };
  },
};

/** Every implemented operation. */
export const githubRoutes: Record<string, RouteHandler> = {
  ...apps,
  ...repos,
  ...pulls,
  ...issues,
  ...checks,
  // Branches, refs, merges, contents, reviews; replaces pulls/merge with one that moves the base branch.
  ...gitRoutes,
  // Organization membership (trust for presubmit jobs).
  ...orgRoutes,
};
