import type { Redis } from "ioredis";
import type { ContextResult, PullRequestInfo } from "../github/github-port.js";
import { emptyPoolState, type PoolKey, type PoolState, poolId } from "./pool-types.js";

export interface BaseInfo {
  sha: string;
  /** Contexts the branch protection requires. */
  requiredContexts: string[];
  /**
   * A push said the branch moved in a way mario cannot place: the next sync reads the branch from GitHub. The mark
   * (a counter) is what that sync hands back to clear it (`setBase`), so a newer mark survives.
   */
  stale?: string;
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

/** The lease a state write is fenced with: refused once another holder took a larger token. */
export interface Fence {
  key: string;
  token: number;
}

/** GitHub refused to merge the PR at this head for a reason other than a conflict (branch protection, settings). */
export interface Refusal {
  sha: string;
  message: string;
}

/** How long a merged PR is kept out of the snapshot whatever stale payload arrives (GitHub retries for days at most). */
const mergedTtlMs = 14 * 24 * 3600_000;

// Compare-and-set on the fencing token: a paused former driver cannot overwrite the state of the current one.
const saveScript = `
if ARGV[2] ~= "" and redis.call("get", KEYS[2]) ~= ARGV[2] then return 0 end
redis.call("set", KEYS[1], ARGV[1])
return 1`;

// A payload is stale when mario merged the PR (KEYS[3]) or a newer one (KEYS[2], updated_at) was stored; a tie is
// not stale. GitHub's updated_at has whole seconds: two events of one second (labels added together) cannot be
// ordered by it, so a tie that changes the PR puts it in doubt (KEYS[4]) and the next sync reads it from GitHub.
const staleLua = `
local function stale(seenKey, mergedKey, n, at)
  if redis.call("zscore", mergedKey, n) then return true end
  local seen = redis.call("hget", seenKey, n)
  return at ~= "" and seen and seen > at
end
`;

const putPrScript = `${staleLua}
if stale(KEYS[2], KEYS[3], ARGV[1], ARGV[3]) then
  if redis.call("zscore", KEYS[3], ARGV[1]) then redis.call("hdel", KEYS[1], ARGV[1]) end
  return 0
end
if ARGV[3] ~= "" then
  local seen = redis.call("hget", KEYS[2], ARGV[1])
  if seen == ARGV[3] and redis.call("hget", KEYS[1], ARGV[1]) ~= ARGV[2] then redis.call("sadd", KEYS[4], ARGV[1]) end
  redis.call("hset", KEYS[2], ARGV[1], ARGV[3])
end
if ARGV[2] == "" then redis.call("hdel", KEYS[1], ARGV[1]) else redis.call("hset", KEYS[1], ARGV[1], ARGV[2]) end
return 1`;

// The same keys as putPrScript, read only.
const stalePrScript = `${staleLua}
return stale(KEYS[2], KEYS[3], ARGV[1], ARGV[2]) and 1 or 0`;

// mario's own label edit: applied to the stored PR only if it is still the one the edit was based on (a payload
// that replaced it meanwhile says more, and the edit's own webhook follows). No doubt: mario knows its edit is last.
const patchPrScript = `
if redis.call("hget", KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call("hset", KEYS[1], ARGV[1], ARGV[3])
return 1`;

// A fresh list from GitHub replaces the snapshot, except where a webhook already told something newer: a PR payload
// newer than the read, or a push that moved or marked the base since the caller read it (ARGV[4], ARGV[5]) — the
// base then stays marked stale, so the next sync reads the branch again.
const replaceScript = `${staleLua}
local was, mark = redis.call("hget", KEYS[3], "sha"), redis.call("hget", KEYS[3], "stale")
redis.call("del", KEYS[3])
redis.call("hset", KEYS[3], "sha", ARGV[1], "requiredContexts", ARGV[2])
if was and (was ~= ARGV[4] or (mark or "") ~= ARGV[5]) then redis.call("hset", KEYS[3], "stale", (tonumber(mark) or 0) + 1) end
local keep = {}
for i = 6, #ARGV, 3 do
  local n, json, at = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  keep[n] = true
  if not stale(KEYS[2], KEYS[4], n, at) then
    redis.call("hset", KEYS[1], n, json)
    if at ~= "" then redis.call("hset", KEYS[2], n, at) end
  end
end
for _, n in ipairs(redis.call("hkeys", KEYS[1])) do
  if not keep[n] then redis.call("hdel", KEYS[1], n) end
end
local seen = redis.call("hgetall", KEYS[2])
for i = 1, #seen, 2 do
  if not keep[seen[i]] and seen[i + 1] < ARGV[3] then redis.call("hdel", KEYS[2], seen[i]) end
end
return 1`;

// Moves the base only from the head the caller expects (a push's \`before\`, the commit mario merged onto); a base
// already there counts as moved. The stale mark is a counter: only the sync that read the branch clears it, and only
// the mark it saw (ARGV[3]), so a push marked meanwhile is not forgotten.
const setBaseScript = `
local sha = redis.call("hget", KEYS[1], "sha")
if not sha then return 0 end
if ARGV[2] ~= "" and sha ~= ARGV[2] and sha ~= ARGV[1] then return -1 end
redis.call("hset", KEYS[1], "sha", ARGV[1])
if ARGV[3] ~= "" and redis.call("hget", KEYS[1], "stale") == ARGV[3] then redis.call("hdel", KEYS[1], "stale") end
return 1`;

type PoolRedis = Redis & {
  marioPoolSave(key: string, fenceKey: string, json: string, token: string): Promise<number>;
  marioPoolPutPr(prs: string, seen: string, merged: string, doubt: string, n: string, json: string, at: string): Promise<number>;
  marioPoolStalePr(prs: string, seen: string, merged: string, n: string, at: string): Promise<number>;
  marioPoolPatchPr(prs: string, n: string, json: string, next: string): Promise<number>;
  marioPoolReplace(prs: string, seen: string, base: string, merged: string, ...args: string[]): Promise<number>;
  marioPoolSetBase(base: string, sha: string, expected: string, mark: string): Promise<number>;
};

/** Defines the merge queue's scripts on a client (once); see src/work/redis-scripts.ts for why before anything is sent. */
export function definePoolScripts(redis: Redis): PoolRedis {
  if (!("marioPoolSave" in redis)) {
    redis.defineCommand("marioPoolSave", { numberOfKeys: 2, lua: saveScript });
    redis.defineCommand("marioPoolPutPr", { numberOfKeys: 4, lua: putPrScript });
    redis.defineCommand("marioPoolStalePr", { numberOfKeys: 3, lua: stalePrScript });
    redis.defineCommand("marioPoolPatchPr", { numberOfKeys: 1, lua: patchPrScript });
    redis.defineCommand("marioPoolReplace", { numberOfKeys: 4, lua: replaceScript });
    redis.defineCommand("marioPoolSetBase", { numberOfKeys: 1, lua: setBaseScript });
  }
  return redis as PoolRedis;
}

/** The merge queue's Redis keys: pool state, history, views, statuses written, context results, dirty pools. */
export function poolStore(redis: Redis, prefix: string) {
  const r = definePoolScripts(redis);
  const k = (...parts: string[]) => `${prefix}mq:${parts.join(":")}`;
  const ctxKey = (owner: string, repo: string, sha: string) => k("ctx", `${owner}/${repo}`, sha);
  const keys = (pool: PoolKey) => {
    const id = poolId(pool);
    return { state: k("pool", id), base: k("head", id), prs: k("prs", id), seen: k("prs-seen", id), doubt: k("prs-doubt", id), merged: k("merged", id), refused: k("refused", id) };
  };
  /** Expired merged markers are dropped on every write, so the set stays small. */
  const pruneMerged = (key: string) => redis.zremrangebyscore(key, "-inf", Date.now() - mergedTtlMs);
  const readBase = async (pool: PoolKey): Promise<BaseInfo | undefined> => {
    const base = await redis.hgetall(keys(pool).base);
    return base.sha ? { sha: base.sha, requiredContexts: JSON.parse(base.requiredContexts ?? "[]") as string[], ...(base.stale ? { stale: base.stale } : {}) } : undefined;
  };
  return {
    async load(pool: PoolKey): Promise<PoolState> {
      const raw = await redis.get(keys(pool).state);
      return raw ? { ...emptyPoolState(), ...(JSON.parse(raw) as PoolState) } : emptyPoolState();
    },
    /** Writes the pool state; false when `fence` is given and another driver holds a newer token. */
    async save(pool: PoolKey, state: PoolState, fence?: Fence): Promise<boolean> {
      const key = keys(pool).state;
      return (await r.marioPoolSave(key, fence?.key ?? key, JSON.stringify(state), fence ? String(fence.token) : "")) === 1;
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
      for (const result of results) fields.push(result.context, JSON.stringify(result));
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
      const [base, prs] = await Promise.all([readBase(pool), redis.hvals(keys(pool).prs)]);
      if (!base) return undefined;
      return { base, prs: prs.map((p) => JSON.parse(p) as PullRequestInfo).sort((a, b) => a.number - b.number) };
    },
    /** The stored base head alone (a push webhook needs no PR list). */
    base: readBase,
    /** `known`: the stored base as the caller read it before asking GitHub (undefined when there was none). */
    async replaceSnapshot(pool: PoolKey, base: BaseInfo, prs: PullRequestInfo[], known: BaseInfo | undefined): Promise<void> {
      const ks = keys(pool);
      const dayAgo = new Date(Date.now() - 24 * 3600_000).toISOString();
      const args = prs.filter((p) => p.state === "open" && !p.merged).flatMap((p) => [String(p.number), JSON.stringify(p), p.updatedAt ?? ""]);
      await r.marioPoolReplace(ks.prs, ks.seen, ks.base, ks.merged, base.sha, JSON.stringify(base.requiredContexts), dayAgo, known?.sha ?? "", known?.stale ?? "", ...args);
    },
    /**
     * Moves the stored base head. With `expected`, only from that head (compare-and-set): "moved" (also when it is
     * there already), "missing" (no snapshot yet: the next sync reads everything) or "elsewhere" (the stored head is
     * another commit). `staleMark`: the stale mark the caller read the branch for, cleared unless a newer one came.
     */
    async setBase(pool: PoolKey, sha: string, expected?: string, staleMark?: string): Promise<"moved" | "missing" | "elsewhere"> {
      const result = await r.marioPoolSetBase(keys(pool).base, sha, expected ?? "", staleMark ?? "");
      return result === 1 ? "moved" : result === 0 ? "missing" : "elsewhere";
    },
    /** The next sync reads the branch head from GitHub instead of trusting the stored one. */
    async markBaseStale(pool: PoolKey): Promise<void> {
      const key = keys(pool).base;
      if (await redis.exists(key)) await redis.hincrby(key, "stale", 1);
    },
    /** A PR as a webhook or a read showed it; closed ones leave the snapshot; stale payloads and merged PRs are ignored. */
    async putPr(pool: PoolKey, pr: PullRequestInfo): Promise<boolean> {
      const ks = keys(pool);
      const json = pr.state === "open" && !pr.merged ? JSON.stringify(pr) : "";
      return (await r.marioPoolPutPr(ks.prs, ks.seen, ks.merged, ks.doubt, String(pr.number), json, pr.updatedAt ?? "")) === 1;
    },
    /** Whether `putPr` would ignore this payload (a PR mario merged, or older than the one stored); changes nothing. */
    async isStalePr(pool: PoolKey, pr: PullRequestInfo): Promise<boolean> {
      const ks = keys(pool);
      return (await r.marioPoolStalePr(ks.prs, ks.seen, ks.merged, String(pr.number), pr.updatedAt ?? "")) === 1;
    },
    /**
     * mario changed the PR's labels on GitHub: the stored PR (`pr` as the snapshot gave it) gets `labels` at once,
     * without the doubt a payload of the same updated_at would raise. False when a payload replaced it meanwhile.
     */
    async patchPrLabels(pool: PoolKey, pr: PullRequestInfo, labels: string[]): Promise<boolean> {
      return (await r.marioPoolPatchPr(keys(pool).prs, String(pr.number), JSON.stringify(pr), JSON.stringify({ ...pr, labels }))) === 1;
    },
    /** The PRs whose last two payloads could not be ordered (see putPrScript), forgotten as they are taken. */
    async takeDoubtful(pool: PoolKey): Promise<number[]> {
      const key = keys(pool).doubt;
      const [[, members]] = (await redis.multi().smembers(key).del(key).exec()) as [[unknown, string[]], unknown];
      return members.map(Number);
    },
    /** A PR as GitHub answers it right now: newer than any payload, whatever their updated_at. */
    async putFreshPr(pool: PoolKey, pr: PullRequestInfo): Promise<void> {
      const ks = keys(pool);
      const m = redis.multi();
      if (pr.state === "open" && !pr.merged) m.hset(ks.prs, String(pr.number), JSON.stringify(pr));
      else m.hdel(ks.prs, String(pr.number));
      if (pr.updatedAt) m.hset(ks.seen, String(pr.number), pr.updatedAt);
      await m.exec();
    },
    async removePr(pool: PoolKey, number: number): Promise<void> {
      await redis.hdel(keys(pool).prs, String(number));
    },
    /** Marks PRs merged: they leave the snapshot and no payload puts them back (for two weeks). */
    async markMerged(pool: PoolKey, numbers: number[]): Promise<void> {
      if (numbers.length === 0) return;
      const ks = keys(pool);
      const now = Date.now();
      await redis
        .multi()
        .zadd(ks.merged, ...numbers.flatMap((n) => [now, String(n)]))
        .pexpire(ks.merged, mergedTtlMs)
        .hdel(ks.prs, ...numbers.map(String))
        .exec();
      await pruneMerged(ks.merged);
    },
    /** Which of these PRs mario merged (within the marker's lifetime). */
    async mergedAmong(pool: PoolKey, numbers: number[]): Promise<Set<number>> {
      if (numbers.length === 0) return new Set();
      const scores = await redis.zmscore(keys(pool).merged, ...numbers.map(String));
      return new Set(numbers.filter((_, i) => scores[i] !== null));
    },
    async refuse(pool: PoolKey, number: number, refusal: Refusal): Promise<void> {
      await redis.hset(keys(pool).refused, String(number), JSON.stringify(refusal));
    },
    async refusals(pool: PoolKey): Promise<Record<string, Refusal>> {
      const all = await redis.hgetall(keys(pool).refused);
      return Object.fromEntries(Object.entries(all).map(([n, v]) => [n, JSON.parse(v) as Refusal]));
    },
    /** A refused PR comes back when its head or labels change (the cause may have been fixed in settings). */
    async clearRefusal(pool: PoolKey, number: number): Promise<void> {
      await redis.hdel(keys(pool).refused, String(number));
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
