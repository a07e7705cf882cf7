/** Fake GitHub routes for branches, git refs, merges, contents and reviews (see github-git.ts). */
import { GitHubError, notFound, validationFailed, type RouteContext, type RouteHandler } from "./github-routes.js";
import { renderUser } from "./github-render.js";
import type { PullRequestRecord, RepoRecord } from "./github-state.js";

const body = <T>(ctx: RouteContext) => (ctx.body && typeof ctx.body === "object" ? ctx.body : {}) as Partial<T>;
const api = (ctx: RouteContext, repo: RepoRecord) => `${ctx.render.base}/api/v3/repos/${repo.fullName}`;

function commitJson(ctx: RouteContext, repo: RepoRecord, sha: string) {
  const c = ctx.state.git.commit(repo.fullName, sha);
  const person = { name: "mario", email: "mario@example.test", date: ctx.state.now() };
  return {
    sha,
    node_id: Buffer.from(`commit:${sha}`).toString("base64"),
    url: `${api(ctx, repo)}/git/commits/${sha}`,
    html_url: `${ctx.render.base}/${repo.fullName}/commit/${sha}`,
    author: person,
    committer: person,
    message: "commit",
    tree: { sha: ctx.state.git.treeOf(repo.fullName, sha), url: `${api(ctx, repo)}/git/trees/${ctx.state.git.treeOf(repo.fullName, sha)}` },
    parents: c.parents.map((p) => ({ sha: p, url: `${api(ctx, repo)}/git/commits/${p}`, html_url: `${ctx.render.base}/${repo.fullName}/commit/${p}` })),
    verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
  };
}

function refJson(ctx: RouteContext, repo: RepoRecord, name: string, sha: string) {
  return {
    ref: `refs/heads/${name}`,
    node_id: Buffer.from(`ref:${name}`).toString("base64"),
    url: `${api(ctx, repo)}/git/refs/heads/${name}`,
    object: { type: "commit", sha, url: `${api(ctx, repo)}/git/commits/${sha}` },
  };
}

const headsRef = (ref: string) => ref.replace(/^refs\//, "").replace(/^heads\//, "");

/** Branch protection per repo/branch: the required contexts `repos/get-branch` reports. */
export const protectedContexts = new WeakMap<RepoRecord, Map<string, string[]>>();

export const gitRoutes: Record<string, RouteHandler> = {
  "repos/get-branch": (ctx) => {
    const repo = ctx.repo();
    const name = ctx.params.branch ?? "";
    const sha = ctx.state.git.branch(repo.fullName, name);
    if (!sha) throw notFound("Branch not found");
    const contexts = protectedContexts.get(repo)?.get(name);
    const commit = commitJson(ctx, repo, sha);
    return {
      status: 200,
      body: {
        name,
        commit: { sha, node_id: commit.node_id, commit: { ...commit, comment_count: 0 }, url: commit.url, html_url: commit.html_url, comments_url: `${commit.url}/comments`, author: null, committer: null, parents: commit.parents },
        _links: { self: `${api(ctx, repo)}/branches/${name}`, html: `${ctx.render.base}/${repo.fullName}/tree/${name}` },
        protected: contexts !== undefined,
        protection: { enabled: contexts !== undefined, required_status_checks: { enforcement_level: contexts ? "everyone" : "off", contexts: contexts ?? [], checks: (contexts ?? []).map((c) => ({ context: c, app_id: null })) } },
        protection_url: `${api(ctx, repo)}/branches/${name}/protection`,
      },
    };
  },

  "git/get-commit": (ctx) => {
    const repo = ctx.repo();
    return { status: 200, body: commitJson(ctx, repo, ctx.params.commit_sha ?? "") };
  },

  "git/create-ref": (ctx) => {
    const repo = ctx.repo();
    const b = body<{ ref: string; sha: string }>(ctx);
    if (!b.ref?.startsWith("refs/") || b.ref.split("/").length < 3) throw validationFailed([], "Reference name must start with 'refs/' and have at least two slashes.");
    const name = headsRef(b.ref);
    if (ctx.state.git.branches.get(repo.fullName.toLowerCase())?.has(name)) throw new GitHubError(422, "Reference already exists");
    ctx.state.git.setBranch(repo.fullName, name, b.sha ?? "");
    return { status: 201, body: refJson(ctx, repo, name, b.sha ?? "") };
  },

  "git/update-ref": (ctx) => {
    const repo = ctx.repo();
    const name = headsRef(ctx.params.ref ?? "");
    const b = body<{ sha: string; force: boolean }>(ctx);
    if (!ctx.state.git.branches.get(repo.fullName.toLowerCase())?.has(name)) throw new GitHubError(422, "Reference does not exist");
    ctx.state.git.setBranch(repo.fullName, name, b.sha ?? "");
    return { status: 200, body: refJson(ctx, repo, name, b.sha ?? "") };
  },

  "git/list-matching-refs": (ctx) => {
    const repo = ctx.repo();
    const prefix = headsRef(ctx.params.ref ?? "");
    const names = [...(ctx.state.git.branches.get(repo.fullName.toLowerCase())?.keys() ?? [])].filter((n) => n.startsWith(prefix)).sort();
    return { status: 200, body: names.map((n) => refJson(ctx, repo, n, ctx.state.git.branch(repo.fullName, n)!)) };
  },

  "git/delete-ref": (ctx) => {
    const repo = ctx.repo();
    if (!ctx.state.git.deleteBranch(repo.fullName, headsRef(ctx.params.ref ?? ""))) throw new GitHubError(422, "Reference does not exist");
    return { status: 204 };
  },

  "repos/merge": (ctx) => {
    const repo = ctx.repo();
    const b = body<{ base: string; head: string; commit_message: string }>(ctx);
    const baseSha = ctx.state.git.branch(repo.fullName, b.base ?? "");
    if (!baseSha) throw notFound("Base does not exist");
    const headSha = ctx.state.git.branches.get(repo.fullName.toLowerCase())?.get(b.head ?? "") ?? b.head ?? "";
    const result = ctx.state.git.merge(repo.fullName, baseSha, headSha);
    if (result === "conflict") throw new GitHubError(409, "Merge conflict");
    if (result === "noop") return { status: 204 };
    ctx.state.git.setBranch(repo.fullName, b.base ?? "", result);
    const commit = commitJson(ctx, repo, result);
    return { status: 201, body: { sha: result, node_id: commit.node_id, commit: { ...commit, comment_count: 0 }, url: commit.url, html_url: commit.html_url, comments_url: `${commit.url}/comments`, author: null, committer: null, parents: commit.parents } };
  },

  "repos/get-content": (ctx) => {
    const repo = ctx.repo();
    const path = ctx.params.path ?? "";
    const text = ctx.state.git.file(repo.fullName, path, ctx.queryParam("ref"));
    if (text === undefined) throw notFound();
    const sha = ctx.state.newSha();
    const url = `${api(ctx, repo)}/contents/${path}`;
    return {
      status: 200,
      body: { type: "file", encoding: "base64", size: Buffer.byteLength(text), name: path.split("/").pop(), path, content: Buffer.from(text).toString("base64"), sha, url, git_url: null, html_url: null, download_url: null, _links: { self: url, git: null, html: null } },
    };
  },

  "pulls/list-reviews": (ctx) => {
    const repo = ctx.repo();
    const number = ctx.int("pull_number");
    if (!ctx.state.findPullRequest(repo.fullName, number)) throw notFound();
    return ctx.page(ctx.state.git.reviewsOf(repo.fullName, number), (r) => ({
      id: r.id,
      node_id: Buffer.from(`review:${r.id}`).toString("base64"),
      user: renderUser(ctx.render, ctx.state.addUser(r.user)),
      body: "",
      state: r.state,
      html_url: `${ctx.render.base}/${repo.fullName}/pull/${number}#pullrequestreview-${r.id}`,
      pull_request_url: `${api(ctx, repo)}/pulls/${number}`,
      _links: { html: { href: "" }, pull_request: { href: "" } },
      submitted_at: r.submittedAt,
      commit_id: r.commitId,
      author_association: "COLLABORATOR",
    }));
  },

  /** Like GitHub: checks the expected head, merges into the base branch (a new base commit), closes the PR. */
  "pulls/merge": (ctx) => {
    const repo = ctx.repo();
    const pr = ctx.state.findPullRequest(repo.fullName, ctx.int("pull_number")) as PullRequestRecord | undefined;
    if (!pr) throw notFound();
    const b = body<{ sha: string; merge_method: string }>(ctx);
    if (pr.merged || pr.state !== "open") throw new GitHubError(405, "Pull Request is not mergeable");
    if (pr.draft) throw new GitHubError(405, "Pull Request is still a draft");
    if (b.sha !== undefined && b.sha !== pr.head.sha) throw new GitHubError(409, "Head branch was modified. Review and try the merge again.");
    if (pr.mergeable === false) throw new GitHubError(405, "Pull Request is not mergeable");
    const sha = ctx.state.git.mergePullRequest(repo.fullName, pr);
    if (sha === "conflict") {
      pr.mergeable = false;
      throw new GitHubError(405, "Pull Request is not mergeable");
    }
    const now = ctx.state.now();
    Object.assign(pr, { merged: true, mergedAt: now, mergedBy: ctx.state.bot, mergeCommitSha: sha, state: "closed", closedAt: now, updatedAt: now });
    return { status: 200, body: { sha, merged: true, message: "Pull Request successfully merged" } };
  },
};
