import type { Redis } from "ioredis";
import type { GitHubForInstallation, RepoRef } from "../github/github-port.js";
import type { RunRecord } from "../runs/run-record.js";
import type { LogLinks } from "./log-links.js";

export type Access = { ok: true } | { ok: false; why: "expired" | "private" };

/**
 * Who may read a run's logs: anyone for a public repository; for a private one (or when GitHub cannot tell),
 * only a holder of the run's signed link. The visibility is asked of GitHub and cached for 10 minutes.
 */
export function logAccess(deps: { redis: Redis; prefix: string; github: GitHubForInstallation; links: LogLinks }) {
  const isPublic = repoIsPublic(deps);
  return async (run: RunRecord, token: string | null): Promise<Access> => {
    const verdict = deps.links.verify(run.meta.namespace, run.meta.name, token);
    if (verdict === "ok") return { ok: true };
    if (await isPublic(run.meta.installationId, run.meta.repo)) return { ok: true };
    return { ok: false, why: verdict === "expired" ? "expired" : "private" };
  };
}

/** Whether GitHub says the repository is public; cached 10 minutes; false when GitHub cannot tell (fail closed). */
export function repoIsPublic(deps: { redis: Redis; prefix: string; github: GitHubForInstallation }) {
  return async (installationId: number, repo: RepoRef): Promise<boolean> => {
    const key = `${deps.prefix}repo-public:${repo.owner.toLowerCase()}/${repo.name.toLowerCase()}`;
    const hit = await deps.redis.get(key);
    if (hit !== null) return hit === "1";
    try {
      const info = await (await deps.github(installationId)).getRepository(repo);
      const pub = info !== undefined && !info.private;
      await deps.redis.set(key, pub ? "1" : "0", "EX", 600);
      return pub;
    } catch {
      return false;
    }
  };
}

export type LogAccess = ReturnType<typeof logAccess>;
