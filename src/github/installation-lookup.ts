import type { Redis } from "ioredis";
import type { RepoRef } from "./github-port.js";

/** The GitHub App installation that covers a repository; undefined when the app is not installed there. */
export type InstallationLookup = (repo: RepoRef) => Promise<number | undefined>;

/**
 * Caches `GET /repos/{owner}/{repo}/installation` (an app-JWT call) in Redis: installations rarely change, and
 * Slack commands name repositories, not installations. "Not installed" is cached briefly so a fix shows soon.
 */
export function cachedInstallationLookup(redis: Redis, prefix: string, fetchInstallation: InstallationLookup, ttlSeconds = 3600): InstallationLookup {
  return async (repo) => {
    const key = `${prefix}installation:${repo.owner.toLowerCase()}/${repo.name.toLowerCase()}`;
    const hit = await redis.get(key);
    if (hit !== null) return hit === "none" ? undefined : Number(hit);
    const id = await fetchInstallation(repo);
    await redis.set(key, id === undefined ? "none" : String(id), "EX", id === undefined ? 60 : ttlSeconds);
    return id;
  };
}

/** The uncached lookup over the app's own (JWT-authenticated) Octokit. */
export function appInstallationLookup(appOctokit: () => Promise<{ rest: { apps: { getRepoInstallation(p: { owner: string; repo: string }): Promise<{ data: { id: number } }> } } }>): InstallationLookup {
  return async (repo) => {
    const octokit = await appOctokit();
    try {
      const { data } = await octokit.rest.apps.getRepoInstallation({ owner: repo.owner, repo: repo.name });
      return data.id;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    }
  };
}
