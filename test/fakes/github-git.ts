/**
 * A small git model for the fake GitHub: branches, commits with a "content" (which PR versions they contain) and a
 * tree sha derived from it, merges that create new commits, declared conflicts between PRs, OWNERS-like files per
 * branch or commit (read at the `ref` asked for) and PR reviews. Enough for staging commits, merge queues and
 * "tree unchanged" checks.
 */
import { createHash } from "node:crypto";
import type { FakeGitHubState, PullRequestRecord } from "./github-state.js";

export interface CommitRecord {
  sha: string;
  /** PR number → the head sha whose change is included. */
  content: Map<number, string>;
  parents: string[];
}

export interface ReviewRecord {
  id: number;
  user: string;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED";
  submittedAt: string;
  commitId: string;
}

export class FakeGit {
  readonly branches = new Map<string, Map<string, string>>();
  readonly commits = new Map<string, CommitRecord>();
  readonly conflicts: { repo: string; a: number; b: number }[] = [];
  readonly files = new Map<string, Map<string, string>>();
  readonly reviews = new Map<string, ReviewRecord[]>();

  constructor(private readonly state: FakeGitHubState) {}

  /** Points a branch at a commit (creating an empty commit record for an unknown sha). */
  setBranch(repo: string, name: string, sha: string): void {
    this.commit(repo, sha);
    this.branchesOf(repo).set(name, sha);
  }

  /** The branch head; a branch never set falls back to the base sha of a PR targeting it. */
  branch(repo: string, name: string): string | undefined {
    const set = this.branchesOf(repo).get(name);
    if (set) return set;
    const pr = this.state.pullRequests(repo).find((p) => p.base.ref === name);
    if (!pr) return name === this.state.findRepo(repo)?.defaultBranch ? this.pin(repo, name) : undefined;
    this.setBranch(repo, name, pr.base.sha);
    return pr.base.sha;
  }

  deleteBranch(repo: string, name: string): boolean {
    return this.branchesOf(repo).delete(name);
  }

  /** The commit record: PR head shas contain their PR's change; other unknown shas are empty. */
  commit(repo: string, sha: string): CommitRecord {
    let c = this.commits.get(sha);
    if (!c) {
      const pr = this.state.pullRequests(repo).find((p) => p.head.sha === sha);
      c = { sha, content: new Map(pr ? [[pr.number, sha]] : []), parents: [] };
      this.commits.set(sha, c);
    }
    return c;
  }

  treeOf(repo: string, sha: string): string {
    const entries = [...this.commit(repo, sha).content.entries()].sort((a, b) => a[0] - b[0]);
    return createHash("sha1").update(`tree:${JSON.stringify(entries)}`).digest("hex");
  }

  /** Declares that two PRs touch the same lines: git cannot merge one on top of the other. */
  declareConflict(repo: string, a: number, b: number): void {
    this.conflicts.push({ repo: repo.toLowerCase(), a, b });
  }

  /** Merges `head` into `base`: a new commit, "noop" when already contained, "conflict" per declared pairs. */
  merge(repo: string, base: string, head: string): string | "noop" | "conflict" {
    const b = this.commit(repo, base);
    const h = this.commit(repo, head);
    const added = [...h.content.keys()].filter((n) => b.content.get(n) !== h.content.get(n));
    if (added.length === 0) return "noop";
    const existing = [...b.content.keys()].filter((n) => !added.includes(n));
    const clash = this.conflicts.some(
      (c) => c.repo === repo.toLowerCase() && ((added.includes(c.a) && existing.includes(c.b)) || (added.includes(c.b) && existing.includes(c.a))),
    );
    const pr = this.state.pullRequests(repo).find((p) => p.head.sha === head);
    if (clash || pr?.mergeable === false) return "conflict";
    const sha = this.state.newSha();
    this.commits.set(sha, { sha, content: new Map([...b.content, ...h.content]), parents: [base, head] });
    return sha;
  }

  /** A push that keeps the tree (a rebase or squash that changed nothing); returns the new head sha. */
  pushSameTree(repo: string, number: number): string {
    const pr = this.state.pullRequest(repo, number);
    const old = this.commit(repo, pr.head.sha);
    const sha = this.state.newSha();
    this.commits.set(sha, { sha, content: new Map(old.content), parents: [] });
    pr.head.sha = sha;
    return sha;
  }

  /** Merges a PR into its base branch (pulls/merge); PRs that now conflict become unmergeable. */
  mergePullRequest(repo: string, pr: PullRequestRecord): string | "conflict" {
    const base = this.branch(repo, pr.base.ref) ?? pr.base.sha;
    const result = this.merge(repo, base, pr.head.sha);
    if (result === "conflict") return result;
    const sha = result === "noop" ? this.state.newSha() : result;
    if (result === "noop") this.commits.set(sha, { sha, content: new Map(this.commit(repo, base).content), parents: [base] });
    this.setBranch(repo, pr.base.ref, sha);
    for (const other of this.state.pullRequests(repo)) {
      if (other.state === "open" && other.number !== pr.number && this.conflicts.some((c) => c.repo === repo.toLowerCase() && ((c.a === pr.number && c.b === other.number) || (c.b === pr.number && c.a === other.number)))) {
        other.mergeable = false;
        other.mergeableState = "dirty";
      }
    }
    return sha;
  }

  /** A file on a branch (default: the repository's default branch) or at a commit sha. */
  setFile(repo: string, path: string, text: string, ref?: string): void {
    const key = `${repo.toLowerCase()}@${ref ?? this.defaultBranch(repo)}`;
    if (!this.files.has(key)) this.files.set(key, new Map());
    this.files.get(key)!.set(path, text);
  }

  /**
   * A file as `repos/get-content` reads it at `ref` (default: the default branch): a branch name, a commit sha
   * set with setFile, or the head sha of a branch (or of a PR, whose files live on its head ref).
   */
  file(repo: string, path: string, ref?: string): string | undefined {
    const at = (r: string) => this.files.get(`${repo.toLowerCase()}@${r}`)?.get(path);
    const wanted = ref ?? this.defaultBranch(repo);
    const direct = at(wanted);
    if (direct !== undefined || !/^[0-9a-f]{40}$/.test(wanted)) return direct;
    for (const [name, sha] of this.branchesOf(repo)) if (sha === wanted && at(name) !== undefined) return at(name);
    const pr = this.state.pullRequests(repo).find((p) => p.head.sha === wanted);
    return pr ? at(pr.head.ref) : undefined;
  }

  private defaultBranch(repo: string): string {
    return this.state.findRepo(repo)?.defaultBranch ?? "main";
  }

  addReview(repo: string, number: number, user: string, state: ReviewRecord["state"]): ReviewRecord {
    const key = `${repo.toLowerCase()}#${number}`;
    const list = this.reviews.get(key) ?? [];
    const review = { id: this.state.nextId(), user, state, submittedAt: new Date().toISOString(), commitId: this.state.pullRequest(repo, number).head.sha };
    list.push(review);
    this.reviews.set(key, list);
    this.state.addUser(user);
    return review;
  }

  reviewsOf(repo: string, number: number): ReviewRecord[] {
    return this.reviews.get(`${repo.toLowerCase()}#${number}`) ?? [];
  }

  private pin(repo: string, name: string): string {
    const sha = this.state.newSha();
    this.setBranch(repo, name, sha);
    return sha;
  }

  private branchesOf(repo: string): Map<string, string> {
    const key = repo.toLowerCase();
    if (!this.branches.has(key)) this.branches.set(key, new Map());
    return this.branches.get(key)!;
  }
}
