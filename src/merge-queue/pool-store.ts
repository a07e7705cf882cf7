import type { Redis } from "ioredis";
import type { ContextResult, PullRequestInfo } from "../github/github-port.js";
import { emptyPoolState, type PoolKey, type PoolState, poolId } from "./pool-types.js";

export interface BaseInfo {
  sha: string;
  /** Contexts the branch protection requires. */
  requiredContexts: string[];
}

export interface HistoryEntry {
  at: string;
  action: "retest" | "batch" | "passed" | "failed" | "split" | "merged" | "removed" | "cancelled" | "conflict" | "stopped" | "skipped";
  prs: number[];
  detail: string;
}

/** What the API shows for a pool: written by the driver after each sync. */
export interface PoolView {
  pool: string;
  baseSha: string;
  updatedAt: string;
  stopped?: string;
  queue: { number: number; sha: string; position: number; batch: string; testing: boolean }[];
  waiting: { number: number; sha: string; missing: string; state: string }[];
  inFlight: { id: string; prs: number[]; sha?: string; state: string; startedAt: string }[];
}

/** The merge queue's Redis keys: pool state, history, views, statuses written, context results, dirty pools. */
export function poolStore(redis: Redis, prefix: string) {
  const k = (...parts: string[]) => `${prefix}mq:${parts.join(":")}`;
  const ctxKey = (owner: string, repo: string, sha: string) => k("ctx", `${owner}/${repo}`, sha);
  return {
    async load(pool: PoolKey): Promise<PoolState> {
      const raw = await redis.get(k("pool", poolId(pool)));
      return raw ? { ...emptyPoolState(), ...(JSON.parse(raw) as PoolState) } : emptyPoolState();
    },
    async save(pool: PoolKey, state: PoolState): Promise<void> {
      await redis.set(k("pool", poolId(pool)), JSON.stringify(state));
    },
    async addHistory(pool: PoolKey, entries: HistoryEntry[], cap: number): Promise<void> {
      if (entries.length === 0) return;
      const key = k("history", poolId(pool));
      await redis.multi().lpush(key, ...entries.map((e) => JSON.stringify(e))).ltrim(key, 0, cap - 1).exec();
    },
    async history(pool: PoolKey, limit = 100): Promise<HistoryEntry[]> {
      return (await redis.lrange(k("history", poolId(pool)), 0, limit - 1)).map((e) => JSON.parse(e) as HistoryEntry);
    },
    async saveView(view: PoolView): Promise<void> {
      await redis.multi().set(k("view", view.pool), JSON.stringify(view)).sadd(k("pools"), view.pool).exec();
    },
    async view(pool: string): Promise<PoolView | undefined> {
      const raw = await redis.get(k("view", pool));
      return raw ? (JSON.parse(raw) as PoolView) : undefined;
    },
    async pools(): Promise<string[]> {
      return (await redis.smembers(k("pools"))).sort();
    },
    /** The status last written on a PR head, so it is written again only when it changes. */
    async lastStatus(pool: PoolKey, number: number): Promise<string | null> {
      return redis.hget(k("status", poolId(pool)), String(number));
    },
    async lastStatuses(pool: PoolKey): Promise<Record<string, string>> {
      return redis.hgetall(k("status", poolId(pool)));
    },
    async setLastStatus(pool: PoolKey, number: number, value: string): Promise<void> {
      await redis.hset(k("status", poolId(pool)), String(number), value);
    },
    /** Context results per commit, fed by webhooks (status, check_run) and by reads from GitHub. */
    async contexts(owner: string, repo: string, sha: string): Promise<{ loaded: boolean; results: ContextResult[] }> {
      const all = await redis.hgetall(ctxKey(owner, repo, sha));
      const results = Object.entries(all)
        .filter(([f]) => f !== "_loaded")
        .map(([, v]) => JSON.parse(v) as ContextResult);
      return { loaded: "_loaded" in all, results };
    },
    async recordContexts(owner: string, repo: string, sha: string, results: ContextResult[], loaded: boolean): Promise<void> {
      const key = ctxKey(owner, repo, sha);
      const fields: string[] = [];
      for (const r of results) fields.push(r.context, JSON.stringify(r));
      if (loaded) fields.push("_loaded", "1");
      if (fields.length === 0) return;
      await redis.multi().hset(key, ...fields).expire(key, 14 * 24 * 3600).exec();
    },
    async forgetContexts(owner: string, repo: string, sha: string): Promise<void> {
      await redis.del(ctxKey(owner, repo, sha));
    },
    /**
     * The pool as webhooks last described it: open PRs and the base branch head. Kept current by pull_request and
     * push events and by the driver's own merges; the reconcile loop replaces it with a fresh read from GitHub.
     */
    async snapshot(pool: PoolKey): Promise<{ base: BaseInfo; prs: PullRequestInfo[] } | undefined> {
      const [base, prs] = await Promise.all([redis.get(k("base", poolId(pool))), redis.hvals(k("prs", poolId(pool)))]);
      if (!base) return undefined;
      return { base: JSON.parse(base) as BaseInfo, prs: prs.map((p) => JSON.parse(p) as PullRequestInfo).sort((a, b) => a.number - b.number) };
    },
    async replaceSnapshot(pool: PoolKey, base: BaseInfo, prs: PullRequestInfo[]): Promise<void> {
      const key = k("prs", poolId(pool));
      const m = redis.multi().del(key).set(k("base", poolId(pool)), JSON.stringify(base));
      if (prs.length > 0) m.hset(key, ...prs.flatMap((p) => [String(p.number), JSON.stringify(p)]));
      await m.exec();
    },
    async setBase(pool: PoolKey, sha: string): Promise<void> {
      const raw = await redis.get(k("base", poolId(pool)));
      if (!raw) return; // no snapshot yet: the next sync reads everything
      await redis.set(k("base", poolId(pool)), JSON.stringify({ ...(JSON.parse(raw) as BaseInfo), sha }));
    },
    /** A PR as a webhook or a read showed it; closed ones leave the snapshot. */
    async putPr(pool: PoolKey, pr: PullRequestInfo): Promise<void> {
      if (pr.state === "open") await redis.hset(k("prs", poolId(pool)), String(pr.number), JSON.stringify(pr));
      else await redis.hdel(k("prs", poolId(pool)), String(pr.number));
    },
    async removePr(pool: PoolKey, number: number): Promise<void> {
      await redis.hdel(k("prs", poolId(pool)), String(number));
    },
    /** Pools with news; the driver drains them. */
    async markDirty(pool: PoolKey | string): Promise<void> {
      const id = typeof pool === "string" ? pool : poolId(pool);
      await redis.multi().sadd(k("dirty"), id).sadd(k("pools"), id).exec();
    },
    async takeDirty(): Promise<string | null> {
      return redis.spop(k("dirty"));
    },
  };
}

export type PoolStore = ReturnType<typeof poolStore>;
