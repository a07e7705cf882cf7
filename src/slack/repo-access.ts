import type { GitHubPort, RepoRef } from "../github/github-port.js";
import { permissionAtLeast, permissionPhrase, type Permission } from "../github/permission.js";
import { repoName } from "./channel-settings.js";
import { identityPermission, resolveIdentity, type SlackIdentity, type SlackUser } from "./slack-identity.js";
import type { SlackServices } from "./slack-services.js";
import { slackCode } from "./slack-text.js";

export type Access = { ok: true; identity: SlackIdentity; installationId: number; gh: GitHubPort; have: Permission } | { ok: false; message: string };

/** Who the Slack user is, or why mario will not act for them (Slack mrkdwn). */
export async function identify(services: SlackServices, user: SlackUser): Promise<{ ok: true; identity: SlackIdentity } | { ok: false; message: string }> {
  const identity = await resolveIdentity(
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
    return { ok: false, message: `mario is not installed on ${slackCode(repoName(repo))} (or the repository does not exist), so ${what} did not happen.` };
  }
  const gh = await services.commands.github(installationId);
  const have = await identityPermission(services.commands, gh, who.identity, repo);
  if (!permissionAtLeast(have, need)) {
    const as = who.identity.login ? ` (as GitHub user ${slackCode(who.identity.login)})` : "";
    return {
      ok: false,
      message: `${what} needs ${permissionPhrase(need)} ${slackCode(repoName(repo))}; you have ${have === "none" ? "no access" : `${have} access`}${as}, so I did not do it.`,
    };
  }
  return { ok: true, identity: who.identity, installationId, gh, have };
}
