import type { Redis } from "ioredis";
import type { GitHubPort, RepoRef } from "../github/github-port.js";
import { permissionLevels, type Permission } from "../github/permission.js";

/** A user's repository permission, cached briefly in Redis: a burst of commands costs one API request. */
export function cachedPermission(redis: Redis, prefix: string, ttlSeconds: number) {
  return async (gh: GitHubPort, repo: RepoRef, user: string): Promise<Permission> => {
    const key = `${prefix}perm:${repo.owner}/${repo.name}:${user.toLowerCase()}`;
    const hit = ttlSeconds > 0 ? await redis.get(key) : null;
    if (hit && (permissionLevels as readonly string[]).includes(hit)) return hit as Permission;
    const permission = await gh.getPermission(repo, user);
    if (ttlSeconds > 0) await redis.set(key, permission, "EX", ttlSeconds);
    return permission;
  };
}

export type PermissionLookup = ReturnType<typeof cachedPermission>;
