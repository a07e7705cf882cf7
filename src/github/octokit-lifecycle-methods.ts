import type { Octokit } from "@octokit/rest";
import type { GitHubPort } from "./github-port.js";
import { isStatus } from "./octokit-github.js";

type Rest = Octokit["rest"];

/** The GitHubPort methods jobs and log links need: trust (org membership) and repository visibility. */
export function lifecycleMethods(rest: Rest): Pick<GitHubPort, "isOrgMember" | "getRepository"> {
  return {
    async isOrgMember(org, user) {
      try {
        // 204 = member; 404 = not a member (or not an org); 302 = the app cannot see the org's members.
        const { status } = await rest.orgs.checkMembershipForUser({ org, username: user });
        return (status as number) === 204;
      } catch (error) {
        if (isStatus(error, 404) || isStatus(error, 302)) return false;
        throw error;
      }
    },
    async getRepository(repo) {
      try {
        const { data } = await rest.repos.get({ owner: repo.owner, repo: repo.name });
        return { private: data.private, cloneUrl: data.clone_url, htmlUrl: data.html_url, defaultBranch: data.default_branch };
      } catch (error) {
        if (isStatus(error, 404)) return undefined;
        throw error;
      }
    },
  };
}
