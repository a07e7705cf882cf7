import type { Redis } from "ioredis";
import type { MarioConfig } from "../config/config-schema.js";
import type { GitHubPort, RepoRef } from "../github/github-port.js";
import { permissionAtLeast, type Permission } from "../github/permission.js";
import type { PermissionLookup } from "../work/permission-cache.js";

/**
 * Trusted = a collaborator with at least `trust.minPermission`, or a member of the organization that owns the
 * repository (when `trust.orgMembers`). Both answers are cached briefly, like permissions. `have`: the user's
 * permission when the caller already knows it (a Slack user's comes from their login and user groups).
 */
export function trustCheck(deps: { config: MarioConfig; permission: PermissionLookup; redis: Redis; prefix: string }) {
  const { trust } = deps.config;
  return async (gh: GitHubPort, repo: RepoRef, user: string, have?: Permission): Promise<boolean> => {
    if (permissionAtLeast(have ?? (await deps.permission(gh, repo, user)), trust.minPermission)) return true;
    // A Slack user without a GitHub login (a group member) has no membership to look up.
    if (!trust.orgMembers || user.startsWith("slack:")) return false;
    const key = `${deps.prefix}org-member:${repo.owner.toLowerCase()}:${user.toLowerCase()}`;
    const hit = await deps.redis.get(key);
    if (hit !== null) return hit === "1";
    const member = await gh.isOrgMember(repo.owner, user);
    const ttl = deps.config.permissionCacheSeconds;
    if (ttl > 0) await deps.redis.set(key, member ? "1" : "0", "EX", ttl);
    return member;
  };
}

export type TrustCheck = ReturnType<typeof trustCheck>;
