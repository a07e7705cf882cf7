import type { Redis } from "ioredis";
import type { GitHubPort, RepoRef } from "../github/github-port.js";
import { repoKey } from "../github/repo-full-name.js";
import { permissionAtLeast, type Permission } from "../github/permission.js";
import type { PermissionLookup } from "../work/permission-cache.js";
import { isSlackError, type SlackApiError, type SlackPort } from "./slack-port.js";
import type { SlackConfig } from "./slack-config.js";

export interface SlackUser {
  id: string;
  /** Slack's user name, for messages only (never used to decide anything). */
  name?: string;
}

/** Who a Slack user is to mario: a GitHub login from the config, and/or permissions through user groups. */
export interface SlackIdentity {
  slackUser: string;
  /** The GitHub login from `slack.users`, when mapped. */
  login?: string;
  /** The name runs are requested under: the GitHub login, else `slack:<name>`. */
  author: string;
  /** The groups the user is a member of (from `slack.groups`). */
  groups: SlackConfig["groups"];
}

export interface IdentityDeps {
  config: SlackConfig;
  slack: SlackPort;
  redis: Redis;
  prefix: string;
  permission: PermissionLookup;
  cacheSeconds: number;
}

/**
 * Maps a Slack user to a SlackIdentity; none when the config neither maps them nor lets a group of theirs in. A user
 * group Slack will not show counts as not having them: a user mapped in `slack.users` still acts as their login. For
 * anyone else that decides, so a transient error is thrown (the job is retried) and a lasting one is returned.
 */
export async function resolveIdentity(deps: IdentityDeps, user: SlackUser): Promise<{ identity?: SlackIdentity; unreadable?: { group: string; code: string } }> {
  const login = deps.config.users[user.id];
  const groups: SlackConfig["groups"] = [];
  const errors: { group: string; error: SlackApiError }[] = [];
  for (const group of deps.config.groups) {
    try {
      if ((await groupMembers(deps, group.id)).includes(user.id)) groups.push(group);
    } catch (error) {
      if (!isSlackError(error)) throw error;
      errors.push({ group: group.id, error });
    }
  }
  if (login || groups.length > 0) {
    return { identity: { slackUser: user.id, login, author: login ?? `slack:${(user.name ?? user.id).replace(/[^A-Za-z0-9_.-]/g, "-")}`, groups } };
  }
  const transient = errors.find((e) => e.error.retryable);
  if (transient) throw transient.error;
  return errors[0] ? { unreadable: { group: errors[0].group, code: errors[0].error.code } } : {};
}

/**
 * The identity's permission on a repository: the best of its GitHub login's permission (looked up exactly as for
 * a PR comment) and of its groups' levels. The same permission rules then apply as on GitHub.
 */
export async function identityPermission(deps: Pick<IdentityDeps, "permission">, gh: GitHubPort, identity: SlackIdentity, repo: RepoRef): Promise<Permission> {
  let best: Permission = "none";
  for (const group of identity.groups) if (groupCovers(group, repo) && permissionAtLeast(group.permission, best)) best = group.permission;
  if (identity.login) {
    const have = await deps.permission(gh, repo, identity.login);
    if (permissionAtLeast(have, best)) best = have;
  }
  return best;
}

function groupCovers(group: SlackConfig["groups"][number], repo: RepoRef): boolean {
  if (!group.repos) return true;
  const full = repoKey(repo);
  return group.repos.some((r) => r.toLowerCase() === full || (r.endsWith("/*") && r.slice(0, -2).toLowerCase() === repo.owner.toLowerCase()));
}

/** Members of a user group, cached like repository permissions (errors are not cached: fixing the cause works at once). */
async function groupMembers(deps: IdentityDeps, groupId: string): Promise<string[]> {
  const key = `${deps.prefix}slack:group:${groupId}`;
  if (deps.cacheSeconds > 0) {
    const hit = await deps.redis.get(key);
    if (hit !== null) return JSON.parse(hit) as string[];
  }
  const members = await deps.slack.userGroupMembers(groupId);
  if (deps.cacheSeconds > 0) await deps.redis.set(key, JSON.stringify(members), "EX", deps.cacheSeconds);
  return members;
}
