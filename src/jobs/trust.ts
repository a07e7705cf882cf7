import type { Redis } from "ioredis";
import type { MarioConfig } from "../config/config-schema.js";
import type { GitHubPort, RepoRef } from "../github/github-port.js";
import { permissionAtLeast } from "../github/permission.js";
import type { PermissionLookup } from "../work/permission-cache.js";

/**
 * Trusted = a collaborator with at least `trust.minPermission`, or a member of the organization that owns the
 * repository (when `trust.orgMembers`). Both answers are cached briefly, like permissions.
 */
export function trustCheck(deps: { config: MarioConfig; permission: PermissionLookup; redis: Redis; prefix: string }) {
  const { trust } = deps.config;
  return async (gh: GitHubPort, repo: RepoRef, user: string): Promise<boolean> => {
    if (permissionAtLeast(await deps.permission(gh, repo, user), trust.minPermission)) return true;
    if (!trust.orgMembers) return false;
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
