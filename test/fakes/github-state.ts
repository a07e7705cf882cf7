/**
 * In-memory state of the fake GitHub. Tests seed it (`addRepo`, `addPullRequest`, `setPermission`, …) and
 * read it back (`comments`, `checkRuns`, `labelsOn`, `statuses`, …). Records are plain mutable objects; the
 * HTTP layer renders them into GitHub-shaped JSON (see github-render.ts).
 */
import { createHash } from "node:crypto";
import { FakeGit } from "./github-git.js";

export type PermissionLevel = "admin" | "maintain" | "write" | "triage" | "read" | "none";
export type UserType = "User" | "Bot" | "Organization";

export interface UserRecord {
  id: number;
  login: string;
  type: UserType;
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export interface RepoRecord {
  id: number;
  owner: UserRecord;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  description: string | null;
  archived: boolean;
  installationId: number;
  createdAt: string;
  updatedAt: string;
  /** Next issue / pull request number. */
  nextNumber: number;
  /** Issues and pull requests (a pull request is also an issue), by number. */
  issues: Map<number, IssueRecord>;
  /** Repository labels by lower-cased name. */
  labels: Map<string, LabelRecord>;
  /** Collaborator permissions by lower-cased login. */
  permissions: Map<string, PermissionLevel>;
}

export interface IssueRecord {
  kind: "issue" | "pull";
  id: number;
  repo: string;
  number: number;
  title: string;
  body: string | null;
  user: UserRecord;
  state: "open" | "closed";
  /** Label names, in the order they were added. */
  labels: string[];
  locked: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface PullFileRecord {
  filename: string;
  status: "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged";
  additions: number;
  deletions: number;
  patch?: string;
  previous_filename?: string;
}

export interface PullRequestRecord extends IssueRecord {
  kind: "pull";
  head: { sha: string; ref: string; repo: string };
  base: { sha: string; ref: string };
  draft: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergedBy: UserRecord | null;
  mergeCommitSha: string | null;
  /** null = GitHub has not computed it yet. */
  mergeable: boolean | null;
  mergeableState: string;
  files: PullFileRecord[];
  commits: number;
}

export interface ReactionRecord {
  id: number;
  commentId: number;
  content: string;
  user: UserRecord;
  createdAt: string;
}

export interface CommentRecord {
  id: number;
  repo: string;
  issueNumber: number;
  body: string;
  user: UserRecord;
  createdAt: string;
  updatedAt: string;
}

export interface CheckRunOutputRecord {
  title: string | null;
  summary: string | null;
  text: string | null;
  annotations: unknown[];
  images: unknown[];
}

export interface CheckRunRecord {
  id: number;
  repo: string;
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  output: CheckRunOutputRecord;
  actions: unknown[];
  checkSuiteId: number;
  appId: number;
}

export interface StatusRecord {
  id: number;
  repo: string;
  sha: string;
  state: "error" | "failure" | "pending" | "success";
  targetUrl: string | null;
  description: string | null;
  context: string;
  creator: UserRecord;
  createdAt: string;
  updatedAt: string;
}

export interface InstallationRecord {
  id: number;
  account: UserRecord;
  repositorySelection: "all" | "selected";
  permissions: Record<string, string>;
}

export interface IssuedToken {
  token: string;
  installationId: number;
  expiresAt: string;
  permissions: Record<string, string>;
}

export interface AppRecord {
  id: number;
  slug: string;
  name: string;
  owner: UserRecord;
  permissions: Record<string, string>;
  events: string[];
}

export interface AddRepoOptions {
  private?: boolean;
  defaultBranch?: string;
  description?: string | null;
  archived?: boolean;
  ownerType?: UserType;
  installationId?: number;
}

export interface AddIssueOptions {
  number?: number;
  title?: string;
  body?: string | null;
  user?: string;
  userType?: UserType;
  state?: "open" | "closed";
  labels?: string[];
  locked?: boolean;
}

export interface AddPullRequestOptions extends AddIssueOptions {
  head?: { sha?: string; ref?: string; repo?: string };
  base?: { sha?: string; ref?: string };
  draft?: boolean;
  merged?: boolean;
  mergeable?: boolean | null;
  mergeableState?: string;
  files?: PullFileRecord[];
  commits?: number;
}

export interface AddCommentOptions {
  body: string;
  user?: string;
  userType?: UserType;
}

const DEFAULT_APP_PERMISSIONS: Record<string, string> = {
  checks: "write",
  contents: "read",
  issues: "write",
  metadata: "read",
  pull_requests: "write",
  statuses: "write",
};

/** GitHub timestamps: ISO 8601 without milliseconds. */
export function isoNow(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class FakeGitHubState {
  /** What `GET /repos/{o}/{r}/collaborators/{u}/permission` answers for a user without a `setPermission` entry:
   * "not-found" → 404 (default); "implicit" → like GitHub for an existing account that is not a collaborator:
   * 200 with permission "read" on public repositories, "none" on private ones. */
  nonCollaborators: "not-found" | "implicit" = "not-found";

  readonly repos = new Map<string, RepoRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly commentsById = new Map<number, CommentRecord>();
  readonly reactionsList: ReactionRecord[] = [];
  readonly checkRunsById = new Map<number, CheckRunRecord>();
  readonly statusesList: StatusRecord[] = [];
  readonly installations = new Map<number, InstallationRecord>();
  readonly issuedTokens: IssuedToken[] = [];
  readonly app: AppRecord;

  /** Check suite id per "repo@sha". */
  readonly checkSuites = new Map<string, number>();

  /** Branches, commits, merges, files and reviews (merge queue and reviews). */
  readonly git: FakeGit = new FakeGit(this);

  private lastId = 1000;
  private shaCounter = 0;

  constructor(opts: { appId?: number; appSlug?: string; appOwner?: string } = {}) {
    const slug = opts.appSlug ?? "mario";
    this.app = {
      id: opts.appId ?? 1,
      slug,
      name: slug,
      owner: this.addUser(opts.appOwner ?? "octo", "Organization"),
      permissions: { ...DEFAULT_APP_PERMISSIONS },
      events: ["issue_comment", "pull_request", "check_run", "check_suite"],
    };
    this.addUser(this.botLogin, "Bot");
    this.installations.set(1, {
      id: 1,
      account: this.app.owner,
      repositorySelection: "all",
      permissions: { ...DEFAULT_APP_PERMISSIONS },
    });
  }

  /** Monotonically increasing id shared by every kind of record. */
  nextId(): number {
    this.lastId += 1;
    return this.lastId;
  }

  /** A fresh, unique 40-hex commit sha. */
  newSha(): string {
    this.shaCounter += 1;
    return createHash("sha1").update(`fake-github-sha-${this.shaCounter}`).digest("hex");
  }

  now(): string {
    return isoNow();
  }

  /** Login of the app's bot user, the author of everything created through the API. */
  get botLogin(): string {
    return `${this.app.slug}[bot]`;
  }

  get bot(): UserRecord {
    return this.addUser(this.botLogin, "Bot");
  }

  // ---- users ---------------------------------------------------------------------------------------------

  /** Returns the user, creating it on first use. */
  addUser(login: string, type: UserType = "User"): UserRecord {
    const key = login.toLowerCase();
    const existing = this.users.get(key);
    if (existing) return existing;
    const user: UserRecord = { id: this.nextId(), login, type };
    this.users.set(key, user);
    return user;
  }

  findUser(login: string): UserRecord | undefined {
    return this.users.get(login.toLowerCase());
  }

  // ---- repositories --------------------------------------------------------------------------------------

  addRepo(fullName: string, opts: AddRepoOptions = {}): RepoRecord {
    const [ownerLogin, name, extra] = fullName.split("/");
    if (!ownerLogin || !name || extra !== undefined) throw new Error(`repository must be "owner/name", got "${fullName}"`);
    const key = fullName.toLowerCase();
    const existing = this.repos.get(key);
    if (existing) {
      if (opts.private !== undefined) existing.private = opts.private;
      if (opts.defaultBranch !== undefined) existing.defaultBranch = opts.defaultBranch;
      if (opts.description !== undefined) existing.description = opts.description;
      if (opts.archived !== undefined) existing.archived = opts.archived;
      if (opts.installationId !== undefined) existing.installationId = opts.installationId;
      return existing;
    }
    const now = this.now();
    const repo: RepoRecord = {
      id: this.nextId(),
      owner: this.addUser(ownerLogin, opts.ownerType ?? "Organization"),
      name,
      fullName,
      private: opts.private ?? false,
      defaultBranch: opts.defaultBranch ?? "main",
      description: opts.description ?? null,
      archived: opts.archived ?? false,
      installationId: opts.installationId ?? 1,
      createdAt: now,
      updatedAt: now,
      nextNumber: 1,
      issues: new Map(),
      labels: new Map(),
      permissions: new Map(),
    };
    this.repos.set(key, repo);
    return repo;
  }

  findRepo(fullName: string): RepoRecord | undefined {
    return this.repos.get(fullName.toLowerCase());
  }

  /** The repository; throws when it was never added. */
  repo(fullName: string): RepoRecord {
    const repo = this.findRepo(fullName);
    if (!repo) throw new Error(`fake GitHub: unknown repository ${fullName} (seed it with state.addRepo)`);
    return repo;
  }

  // ---- permissions ---------------------------------------------------------------------------------------

  setPermission(repo: string, user: string, level: PermissionLevel): void {
    this.addUser(user);
    this.ensureRepo(repo).permissions.set(user.toLowerCase(), level);
  }

  /** The explicitly set permission, or undefined. */
  permission(repo: string, user: string): PermissionLevel | undefined {
    return this.findRepo(repo)?.permissions.get(user.toLowerCase());
  }

  // ---- issues and pull requests --------------------------------------------------------------------------

  addIssue(repoName: string, opts: AddIssueOptions = {}): IssueRecord {
    const repo = this.ensureRepo(repoName);
    const issue: IssueRecord = { kind: "issue", ...this.issueBase(repo, opts) };
    repo.issues.set(issue.number, issue);
    return issue;
  }

  addPullRequest(repoName: string, opts: AddPullRequestOptions = {}): PullRequestRecord {
    const repo = this.ensureRepo(repoName);
    const base = this.issueBase(repo, { ...opts, title: opts.title ?? "Update the pipeline" });
    const merged = opts.merged ?? false;
    const pr: PullRequestRecord = {
      ...base,
      kind: "pull",
      head: { sha: opts.head?.sha ?? this.newSha(), ref: opts.head?.ref ?? `feature-${base.number}`, repo: opts.head?.repo ?? repo.fullName },
      base: { sha: opts.base?.sha ?? this.newSha(), ref: opts.base?.ref ?? repo.defaultBranch },
      draft: opts.draft ?? false,
      merged,
      mergedAt: merged ? base.updatedAt : null,
      mergedBy: merged ? this.bot : null,
      mergeCommitSha: merged ? this.newSha() : null,
      mergeable: opts.mergeable === undefined ? true : opts.mergeable,
      mergeableState: opts.mergeableState ?? (opts.draft ? "draft" : "clean"),
      files: opts.files ?? [],
      commits: opts.commits ?? 1,
    };
    if (merged) {
      pr.state = "closed";
      pr.closedAt = base.updatedAt;
    }
    repo.issues.set(pr.number, pr);
    return pr;
  }

  findIssue(repo: string, number: number): IssueRecord | undefined {
    return this.findRepo(repo)?.issues.get(number);
  }

  findPullRequest(repo: string, number: number): PullRequestRecord | undefined {
    const issue = this.findIssue(repo, number);
    return issue?.kind === "pull" ? (issue as PullRequestRecord) : undefined;
  }

  /** The pull request; throws when missing. */
  pullRequest(repo: string, number: number): PullRequestRecord {
    const pr = this.findPullRequest(repo, number);
    if (!pr) throw new Error(`fake GitHub: no pull request ${repo}#${number}`);
    return pr;
  }

  pullRequests(repo: string): PullRequestRecord[] {
    return [...(this.findRepo(repo)?.issues.values() ?? [])].filter((i): i is PullRequestRecord => i.kind === "pull");
  }

  /** Simulates a push to the pull request's head branch; returns the new head sha. */
  pushToPullRequest(repo: string, number: number, sha: string = this.newSha()): string {
    const pr = this.pullRequest(repo, number);
    pr.head.sha = sha;
    pr.updatedAt = this.now();
    return sha;
  }

  // ---- labels --------------------------------------------------------------------------------------------

  addLabel(repoName: string, name: string, opts: { color?: string; description?: string | null } = {}): LabelRecord {
    const repo = this.ensureRepo(repoName);
    const existing = repo.labels.get(name.toLowerCase());
    if (existing) return existing;
    const label: LabelRecord = {
      id: this.nextId(),
      name,
      color: opts.color ?? "ededed",
      description: opts.description ?? null,
      default: false,
    };
    repo.labels.set(name.toLowerCase(), label);
    return label;
  }

  repoLabels(repo: string): LabelRecord[] {
    return [...(this.findRepo(repo)?.labels.values() ?? [])];
  }

  /** Label names on an issue or pull request. */
  labelsOn(repo: string, number: number): string[] {
    return [...(this.findIssue(repo, number)?.labels ?? [])];
  }

  // ---- comments and reactions ----------------------------------------------------------------------------

  addComment(repoName: string, issueNumber: number, opts: AddCommentOptions): CommentRecord {
    const repo = this.ensureRepo(repoName);
    if (!repo.issues.has(issueNumber)) throw new Error(`fake GitHub: no issue or pull request ${repoName}#${issueNumber}`);
    const now = this.now();
    const comment: CommentRecord = {
      id: this.nextId(),
      repo: repo.fullName,
      issueNumber,
      body: opts.body,
      user: opts.user ? this.addUser(opts.user, opts.userType) : this.bot,
      createdAt: now,
      updatedAt: now,
    };
    this.commentsById.set(comment.id, comment);
    return comment;
  }

  /** Comments, oldest first; optionally only those of one repository / issue. */
  comments(repo?: string, issueNumber?: number): CommentRecord[] {
    return [...this.commentsById.values()]
      .filter((c) => repo === undefined || c.repo.toLowerCase() === repo.toLowerCase())
      .filter((c) => issueNumber === undefined || c.issueNumber === issueNumber)
      .sort((a, b) => a.id - b.id);
  }

  comment(id: number): CommentRecord | undefined {
    return this.commentsById.get(id);
  }

  /** Reactions, oldest first; optionally only those on one comment. */
  reactions(commentId?: number): ReactionRecord[] {
    return this.reactionsList.filter((r) => commentId === undefined || r.commentId === commentId);
  }

  // ---- checks and statuses -------------------------------------------------------------------------------

  /** Check runs, oldest first; optionally only of one repository / head sha. */
  checkRuns(repo?: string, headSha?: string): CheckRunRecord[] {
    return [...this.checkRunsById.values()]
      .filter((c) => repo === undefined || c.repo.toLowerCase() === repo.toLowerCase())
      .filter((c) => headSha === undefined || c.headSha === headSha)
      .sort((a, b) => a.id - b.id);
  }

  checkRun(id: number): CheckRunRecord | undefined {
    return this.checkRunsById.get(id);
  }

  /** The check suite of the app for a commit (created on first use). */
  checkSuiteId(repo: string, sha: string): number {
    const key = `${repo.toLowerCase()}@${sha}`;
    let id = this.checkSuites.get(key);
    if (id === undefined) {
      id = this.nextId();
      this.checkSuites.set(key, id);
    }
    return id;
  }

  /** Commit statuses, oldest first; optionally only of one repository / sha. */
  statuses(repo?: string, sha?: string): StatusRecord[] {
    return this.statusesList
      .filter((s) => repo === undefined || s.repo.toLowerCase() === repo.toLowerCase())
      .filter((s) => sha === undefined || s.sha === sha);
  }

  /** GitHub's combined status: the latest status per context and the overall state. */
  combinedStatus(repo: string, sha: string): { state: "failure" | "pending" | "success"; statuses: StatusRecord[] } {
    const latest = new Map<string, StatusRecord>();
    for (const s of this.statuses(repo, sha)) latest.set(s.context, s);
    const statuses = [...latest.values()].sort((a, b) => b.id - a.id);
    let state: "failure" | "pending" | "success" = "success";
    if (statuses.length === 0 || statuses.some((s) => s.state === "pending")) state = "pending";
    if (statuses.some((s) => s.state === "failure" || s.state === "error")) state = "failure";
    return { state, statuses };
  }

  /** Resolves a ref (sha, branch name of a pull request head/base, or `refs/heads/x`) to a sha. */
  resolveRef(repo: string, ref: string): string {
    const branch = ref.replace(/^refs\/heads\//, "").replace(/^heads\//, "");
    const gitBranch = this.git.branches.get(repo.toLowerCase())?.get(branch);
    if (gitBranch) return gitBranch;
    for (const pr of this.pullRequests(repo)) {
      if (pr.head.ref === branch && pr.head.repo.toLowerCase() === repo.toLowerCase()) return pr.head.sha;
    }
    for (const pr of this.pullRequests(repo)) if (pr.base.ref === branch) return pr.base.sha;
    return ref;
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private ensureRepo(fullName: string): RepoRecord {
    return this.findRepo(fullName) ?? this.addRepo(fullName);
  }

  private issueBase(repo: RepoRecord, opts: AddIssueOptions): Omit<IssueRecord, "kind"> {
    const number = opts.number ?? repo.nextNumber;
    if (repo.issues.has(number)) throw new Error(`fake GitHub: ${repo.fullName}#${number} already exists`);
    repo.nextNumber = Math.max(repo.nextNumber, number + 1);
    const labels = opts.labels ?? [];
    for (const name of labels) this.addLabel(repo.fullName, name);
    const now = this.now();
    const state = opts.state ?? "open";
    return {
      id: this.nextId(),
      repo: repo.fullName,
      number,
      title: opts.title ?? `Issue ${number}`,
      body: opts.body ?? null,
      user: this.addUser(opts.user ?? "octocat", opts.userType),
      state,
      labels: [...labels],
      locked: opts.locked ?? false,
      createdAt: now,
      updatedAt: now,
      closedAt: state === "closed" ? now : null,
    };
  }
}
