import type { Octokit } from "@octokit/rest";
import type { ContextResult, GitHubPort } from "./github-port.js";
import { isStatus, toPullRequestInfo } from "./octokit-github.js";

type Rest = Octokit["rest"];
type QueueMethods = Pick<
  GitHubPort,
  | "ensureLabel"
  | "addLabels"
  | "removeLabel"
  | "createStatus"
  | "listReviews"
  | "listPullFiles"
  | "getFileContent"
  | "listOpenPullRequests"
  | "getBranch"
  | "getCommitTree"
  | "getCommitContexts"
  | "createBranch"
  | "moveBranch"
  | "deleteBranch"
  | "listBranches"
  | "mergeIntoBranch"
  | "mergePullRequest"
>;

/** The GitHubPort methods reviews and the merge queue need (labels, statuses, git refs, merges). */
export function reviewAndQueueMethods(rest: Rest): QueueMethods {
  const r = (repo: { owner: string; name: string }) => ({ owner: repo.owner, repo: repo.name });
  return {
    async ensureLabel(repo, label) {
      try {
        await rest.issues.createLabel({ ...r(repo), name: label.name, color: label.color, description: label.description });
      } catch (error) {
        // 422 already_exists: someone (or another replica) created it first.
        if (!isStatus(error, 422)) throw error;
      }
    },
    async addLabels(repo, issue, names) {
      if (names.length > 0) await rest.issues.addLabels({ ...r(repo), issue_number: issue, labels: names });
    },
    async removeLabel(repo, issue, name) {
      try {
        await rest.issues.removeLabel({ ...r(repo), issue_number: issue, name });
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
    },
    async createStatus(repo, sha, status) {
      await rest.repos.createCommitStatus({
        ...r(repo),
        sha,
        state: status.state,
        context: status.context,
        description: status.description.slice(0, 140),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      });
    },
    async listReviews(repo, pr) {
      const reviews = await allPages((page) => rest.pulls.listReviews({ ...r(repo), pull_number: pr, per_page: 100, page }));
      return reviews.map((v) => ({ user: v.user?.login ?? "ghost", state: v.state as never, submittedAt: v.submitted_at ?? "" }));
    },
    async listPullFiles(repo, pr) {
      const files = await allPages((page) => rest.pulls.listFiles({ ...r(repo), pull_number: pr, per_page: 100, page }));
      return files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename]));
    },
    async getFileContent(repo, path, ref) {
      try {
        const { data } = await rest.repos.getContent({ ...r(repo), path, ref });
        if (Array.isArray(data) || data.type !== "file" || !("content" in data)) return undefined;
        return Buffer.from(data.content, "base64").toString("utf8");
      } catch (error) {
        if (isStatus(error, 404)) return undefined;
        throw error;
      }
    },
    async listOpenPullRequests(repo, base) {
      const pulls = await allPages((page) => rest.pulls.list({ ...r(repo), state: "open", ...(base ? { base } : {}), sort: "created", direction: "asc", per_page: 100, page }));
      return pulls.map((p) => toPullRequestInfo(p as never));
    },
    async getBranch(repo, branch) {
      try {
        const { data } = await rest.repos.getBranch({ ...r(repo), branch });
        const checks = data.protection?.required_status_checks;
        const contexts = [...(checks?.contexts ?? []), ...(checks?.checks ?? []).map((c) => c.context)];
        return { sha: data.commit.sha, requiredContexts: [...new Set(contexts)] };
      } catch (error) {
        if (isStatus(error, 404)) return undefined;
        throw error;
      }
    },
    async getCommitTree(repo, sha) {
      const { data } = await rest.git.getCommit({ ...r(repo), commit_sha: sha });
      return data.tree.sha;
    },
    async getCommitContexts(repo, sha) {
      const [combined, checks] = await Promise.all([
        rest.repos.getCombinedStatusForRef({ ...r(repo), ref: sha, per_page: 100 }),
        rest.checks.listForRef({ ...r(repo), ref: sha, filter: "latest", per_page: 100 }).then((res) => res.data.check_runs),
      ]);
      const out: ContextResult[] = combined.data.statuses.map((s) => ({
        context: s.context,
        state: s.state === "success" ? "success" : s.state === "pending" ? "pending" : "failure",
        description: s.description ?? "",
        url: s.target_url ?? "",
      }));
      for (const c of checks) {
        out.push({ context: c.name, state: checkRunState(c.status, c.conclusion), description: c.output?.title ?? "", url: c.details_url ?? c.html_url ?? "" });
      }
      return out;
    },
    async createBranch(repo, branch, sha) {
      try {
        await rest.git.createRef({ ...r(repo), ref: `refs/heads/${branch}`, sha });
      } catch (error) {
        // Left over by a run that crashed half way: point it at the new commit.
        if (!isStatus(error, 422)) throw error;
        await rest.git.updateRef({ ...r(repo), ref: `heads/${branch}`, sha, force: true });
      }
    },
    async moveBranch(repo, branch, sha) {
      try {
        await rest.git.updateRef({ ...r(repo), ref: `heads/${branch}`, sha, force: true });
      } catch (error) {
        if (!isStatus(error, 422) && !isStatus(error, 404)) throw error;
        await rest.git.createRef({ ...r(repo), ref: `refs/heads/${branch}`, sha });
      }
    },
    async deleteBranch(repo, branch) {
      try {
        await rest.git.deleteRef({ ...r(repo), ref: `heads/${branch}` });
      } catch (error) {
        if (!isStatus(error, 404) && !isStatus(error, 422)) throw error;
      }
    },
    async listBranches(repo, prefix) {
      const { data: refs } = await rest.git.listMatchingRefs({ ...r(repo), ref: `heads/${prefix}` });
      return refs.map((ref) => ref.ref.replace(/^refs\/heads\//, ""));
    },
    async mergeIntoBranch(repo, branch, head, message) {
      try {
        const res = await rest.repos.merge({ ...r(repo), base: branch, head, commit_message: message });
        // 204: nothing to merge (the head is already in the branch).
        if ((res.status as number) === 204) return { sha: (await rest.repos.getBranch({ ...r(repo), branch })).data.commit.sha };
        return { sha: res.data.sha };
      } catch (error) {
        if (isStatus(error, 409)) return "conflict";
        throw error;
      }
    },
    async mergePullRequest(repo, pr, options) {
      const { data } = await rest.pulls.merge({
        ...r(repo),
        pull_number: pr,
        sha: options.sha,
        merge_method: options.method,
        ...(options.title ? { commit_title: options.title } : {}),
        ...(options.body ? { commit_message: options.body } : {}),
      });
      return { sha: data.sha };
    },
  };
}

/** Tide's reading of a check run: incomplete → pending; success, neutral, skipped → success; else failure. */
export function checkRunState(status: string | null | undefined, conclusion: string | null | undefined): ContextResult["state"] {
  if (status !== "completed") return "pending";
  return conclusion === "success" || conclusion === "neutral" || conclusion === "skipped" ? "success" : "failure";
}

/** Reads every page of a list (at most 30 pages of 100: a bound, not a limit anyone should reach). */
async function allPages<T>(fetchPage: (page: number) => Promise<{ data: T[] }>): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page <= 30; page++) {
    const { data } = await fetchPage(page);
    out.push(...data);
    if (data.length < 100) break;
  }
  return out;
}
