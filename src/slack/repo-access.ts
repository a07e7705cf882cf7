import type { GitHubPort, RepoRef } from "../github/github-port.js";
import { permissionAtLeast, permissionPhrase, type Permission } from "../github/permission.js";
import { repoFullName } from "../github/repo-full-name.js";
import { identityPermission, resolveIdentity, type SlackIdentity, type SlackUser } from "./slack-identity.js";
import type { SlackServices } from "./slack-services.js";
import { slackCode } from "./slack-text.js";

export type Access = { ok: true; identity: SlackIdentity; installationId: number; gh: GitHubPort; have: Permission } | { ok: false; message: string };

/** Who the Slack user is, or why mario will not act for them (Slack mrkdwn). */
export async function identify(services: SlackServices, user: SlackUser): Promise<{ ok: true; identity: SlackIdentity } | { ok: false; message: string }> {
  const { identity, unreadable } = await resolveIdentity(
    {
      config: services.slackConfig,
      slack: services.slack,
      redis: services.commands.redis,
      prefix: services.commands.prefix,
      permission: services.commands.permission,
      cacheSeconds: services.commands.config.permissionCacheSeconds,
    },
    user,
  );
  if (identity) return { ok: true, identity };
  if (unreadable) {
    return {
      ok: false,
      message: `I could not check whether you are in an allowed Slack user group (Slack answered ${slackCode(unreadable.code)} for the group ${slackCode(unreadable.group)}), so I did not run anything. Ask a mario admin to check \`slack.groups\` in mario's config and that mario's Slack app has the \`usergroups:read\` scope.`,
    };
  }
  return {
    ok: false,
    message: `I don't know who you are on GitHub, so I did not run anything. Ask a mario admin to map your Slack user ${slackCode(user.id)} to your GitHub login (\`slack.users\` in mario's config) or to add you to an allowed user group.`,
  };
}

/**
 * Checks that the Slack user may do something needing `need` on `repo`: mapped, mario installed there, and the
 * same permission rule as on GitHub. The refusal says which of these failed.
 */
export async function checkAccess(services: SlackServices, user: SlackUser, repo: RepoRef, need: Permission, what: string): Promise<Access> {
  const who = await identify(services, user);
  if (!who.ok) return who;
  const installationId = await services.installations(repo);
  if (installationId === undefined) {
    return { ok: false, message: `mario is not installed on ${slackCode(repoFullName(repo))} (or the repository does not exist), so ${what} did not happen.` };
  }
  const gh = await services.commands.github(installationId);
  const have = await identityPermission(services.commands, gh, who.identity, repo);
  if (!permissionAtLeast(have, need)) {
    return { ok: false, message: `${what} needs ${permissionPhrase(need)} ${slackCode(repoFullName(repo))}; you have ${youHave(have, who.identity)}, so I did not do it.` };
  }
  return { ok: true, identity: who.identity, installationId, gh, have };
}

/**
 * Checks that the Slack user is trusted on `repo` by the rule of /test and /cancel on GitHub (src/jobs/trust.ts):
 * `trust.minPermission` through their login or user groups, or their GitHub login is a member of the organization.
 */
export async function checkTrusted(services: SlackServices, user: SlackUser, repo: RepoRef, what: string): Promise<Access> {
  const access = await checkAccess(services, user, repo, "none", what);
  if (!access.ok) return access;
  // The very check of /test typed in Slack: the identity's author (`slack:…` without a login) and permission.
  if (await services.runs.trusted(access.gh, repo, access.identity.author, access.have)) return access;
  const { minPermission, orgMembers } = services.commands.config.trust;
  const owner = slackCode(repo.owner);
  const member = orgMembers ? ` or membership of ${owner}` : "";
  const notMember = !orgMembers ? "" : access.identity.login ? ` and are not a member of ${owner}` : " and no GitHub login whose membership mario could check";
  return { ok: false, message: `${what} needs ${permissionPhrase(minPermission)} ${slackCode(repoFullName(repo))}${member}; you have ${youHave(access.have, access.identity)}${notMember}, so I did not do it.` };
}

/** "read access (as GitHub user `bob`)". */
function youHave(have: Permission, identity: SlackIdentity): string {
  return `${have === "none" ? "no access" : `${have} access`}${identity.login ? ` (as GitHub user ${slackCode(identity.login)})` : ""}`;
}
