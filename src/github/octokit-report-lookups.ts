import type { Octokit } from "@octokit/rest";
import type { GitHubPort } from "./github-port.js";

type Rest = Octokit["rest"];

/** Bounds on the look-ups: a PR with more comments than this is searched in its most recent ones only. */
const maxPages = 10;

/**
 * Finding what mario reported before, when Redis lost a run's record and it was rebuilt from the PipelineRun:
 * the check run (by its external_id) and the PR comment (by its hidden marker), so they are edited, not doubled.
 */
export function reportLookupMethods(rest: Rest): Pick<GitHubPort, "findCheckRun" | "findBotComment"> {
  return {
    async findCheckRun(repo, headSha, name, externalId) {
      for (let page = 1; page <= maxPages; page++) {
        const { data } = await rest.checks.listForRef({ owner: repo.owner, repo: repo.name, ref: headSha, check_name: name, filter: "all", per_page: 100, page });
        const found = data.check_runs.find((c) => c.external_id === externalId);
        if (found) return found.id;
        if (data.check_runs.length < 100) return undefined;
      }
      return undefined;
    },
    async findBotComment(repo, issue, marker) {
      for (let page = 1; page <= maxPages; page++) {
        const { data } = await rest.issues.listComments({ owner: repo.owner, repo: repo.name, issue_number: issue, per_page: 100, page });
        const found = data.find((c) => c.user?.type === "Bot" && (c.body ?? "").includes(marker));
        if (found) return found.id;
        if (data.length < 100) return undefined;
      }
      return undefined;
    },
  };
}
