import type { Redis } from "ioredis";
import type { RunFailure, RunMeta, RunRecord, SlackMessageRef } from "./run-record.js";
import { finishedStates, type RunState, type RunStatus, type TaskStatus } from "./run-status.js";

const retentionSeconds = 30 * 24 * 3600;

/** HSET of a JSON object field, merged key by key into what is there (atomic). 1: new, 0: merged, -1: no record. */
const mergeJsonFieldScript = `
if redis.call("exists", KEYS[1]) == 0 then return -1 end
local current = redis.call("hget", KEYS[1], ARGV[1])
local value = cjson.decode(ARGV[2])
if current then
  local merged = cjson.decode(current)
  for k, v in pairs(value) do merged[k] = v end
  value = merged
end
redis.call("hset", KEYS[1], ARGV[1], cjson.encode(value))
if current then return 0 end
return 1`;

/**
 * Sets the status only while the record's state is one of ARGV[4..] (atomic), keeping the index of unfinished
 * runs (KEYS[2]) in step. 1: written, 0: another state (or no record, or the same status).
 */
const setStatusWhileScript = `
local current = redis.call("hget", KEYS[1], "status")
if not current or current == ARGV[1] then return 0 end
local state = cjson.decode(current).state
for i = 4, #ARGV do
  if ARGV[i] == state then
    redis.call("hset", KEYS[1], "status", ARGV[1])
    if ARGV[3] == "1" then redis.call("srem", KEYS[2], ARGV[2]) else redis.call("sadd", KEYS[2], ARGV[2]) end
    return 1
  end
end
return 0`;

/**
 * Run records in Redis. One hash per run with one field per concern (status, ids, report hashes), so the watcher
 * and the reporter never overwrite each other's writes.
 */
/** Defines the run store's scripts on a client (once); see src/work/redis-scripts.ts for why before anything is sent. */
export function defineRunStoreScripts(redis: Redis): void {
  if (!("marioMergeJsonField" in redis)) redis.defineCommand("marioMergeJsonField", { numberOfKeys: 1, lua: mergeJsonFieldScript });
  if (!("marioSetStatusWhile" in redis)) redis.defineCommand("marioSetStatusWhile", { numberOfKeys: 2, lua: setStatusWhileScript });
}

export function createRunStore(redis: Redis, prefix: string) {
  const key = (ns: string, name: string) => `${prefix}run:${ns}/${name}`;
  defineRunStoreScripts(redis);
  const mergeJsonField = (k: string, field: string, json: string) =>
    (redis as unknown as { marioMergeJsonField(k: string, f: string, j: string): Promise<number> }).marioMergeJsonField(k, field, json);
  const setStatusWhile = (keys: [string, string], args: string[]) =>
    (redis as unknown as { marioSetStatusWhile(k: string, i: string, ...a: string[]): Promise<number> }).marioSetStatusWhile(...keys, ...args);
  const index = `${prefix}runs`;
  const prIndex = (m: Pick<RunMeta, "repo" | "pr">) => `${prefix}pr-runs:${m.repo.owner}/${m.repo.name}#${m.pr}`;
  /** Names of the namespace's runs not finished yet: the watcher checks them against each list of the cluster. */
  const unfinishedIndex = (ns: string) => `${prefix}unfinished-runs:${ns}`;

  async function get(namespace: string, name: string): Promise<RunRecord | undefined> {
    const h = await redis.hgetall(key(namespace, name));
    if (!h.meta || !h.status) return undefined;
    return {
      meta: JSON.parse(h.meta) as RunMeta,
      status: JSON.parse(h.status) as RunStatus,
      tasks: h.tasks ? (JSON.parse(h.tasks) as TaskStatus[]) : [],
      failure: h.failure ? (JSON.parse(h.failure) as RunFailure) : undefined,
      checkRunId: h.checkRunId ? Number(h.checkRunId) : undefined,
      commentId: h.commentId ? Number(h.commentId) : undefined,
      reported: { check: h["reported:check"], comment: h["reported:comment"], status: h["reported:status"] },
      ...(h.queueAhead !== undefined ? { queueAhead: Number(h.queueAhead) } : {}),
      ...(h.cancelRequested !== undefined ? { cancelRequested: true as const } : {}),
      ...slackRefs(h),
    };
  }

  return {
    get,
    /** Records a requested run once; a retried job finds the record it already wrote. Returns true when new. */
    async create(meta: RunMeta, status: RunStatus): Promise<boolean> {
      const k = key(meta.namespace, meta.name);
      const created = await redis.hsetnx(k, "meta", JSON.stringify(meta));
      if (created === 1) {
        const multi = redis
          .multi()
          .hset(k, "status", JSON.stringify(status))
          .expire(k, retentionSeconds)
          .zadd(index, Date.parse(meta.createdAt), `${meta.namespace}/${meta.name}`);
        // Periodic and staging runs have no PR (pr 0): nothing asks for them by PR, and their index would only grow.
        if (meta.pr > 0) multi.sadd(prIndex(meta), `${meta.namespace}/${meta.name}`).expire(prIndex(meta), retentionSeconds);
        if (!finishedStates.has(status.state)) multi.sadd(unfinishedIndex(meta.namespace), meta.name);
        await multi.exec();
      }
      return created === 1;
    },
    /** Saves the status seen in the cluster; returns false when nothing a user would see changed. */
    async setStatus(namespace: string, name: string, status: RunStatus, tasks?: TaskStatus[]): Promise<boolean> {
      const k = key(namespace, name);
      const next = JSON.stringify(status);
      const nextTasks = tasks ? JSON.stringify(tasks) : undefined;
      const [prev, prevTasks] = await redis.hmget(k, "status", "tasks");
      // A record without tasks yet has none: an event that brings an empty list changes nothing.
      if (prev === next && (nextTasks === undefined || (prevTasks ?? "[]") === nextTasks)) return false;
      const multi = redis.multi().hset(k, { status: next, ...(nextTasks ? { tasks: nextTasks } : {}) });
      if (finishedStates.has(status.state)) multi.srem(unfinishedIndex(namespace), name);
      else multi.sadd(unfinishedIndex(namespace), name);
      await multi.exec();
      return true;
    },
    /**
     * Saves `status` only while the record is in one of `states`, atomically: a writer that knows less than the one
     * before it (the creator of a run the watcher already saw, a cancel the creator overtook) changes nothing.
     * Returns whether it wrote.
     */
    async setStatusWhile(namespace: string, name: string, status: RunStatus, states: ReadonlySet<RunState>): Promise<boolean> {
      const args = [JSON.stringify(status), name, finishedStates.has(status.state) ? "1" : "0", ...states];
      return (await setStatusWhile([key(namespace, name), unfinishedIndex(namespace)], args)) === 1;
    },
    /** Asks that the run not be created (or be cancelled right after): `/cancel` came while it was being created. */
    async requestCancel(namespace: string, name: string): Promise<void> {
      await redis.hset(key(namespace, name), "cancelRequested", "1");
    },
    async cancelRequested(namespace: string, name: string): Promise<boolean> {
      return (await redis.hexists(key(namespace, name), "cancelRequested")) === 1;
    },
    async setFailure(namespace: string, name: string, failure: RunFailure) {
      await redis.hset(key(namespace, name), "failure", JSON.stringify(failure));
    },
    /**
     * Records what was written to GitHub: the id of the check run or comment and a hash of its content, so an
     * unchanged report costs no API request.
     */
    async setReported(namespace: string, name: string, target: "check" | "comment", id: number, hash: string) {
      await redis.hset(key(namespace, name), { [target === "check" ? "checkRunId" : "commentId"]: String(id), [`reported:${target}`]: hash });
    },
    /**
     * Merges `ref`'s fields into the run's Slack message for that channel (one per channel), creating it. Its
     * writers know different fields (the mirror of a subscribed channel only the channel, the slash command who
     * asked, the updater the posted ts and hash) and race, so none may erase the others'. False when the channel
     * already had a message, or the run is not recorded.
     */
    async mergeSlackMessage(namespace: string, name: string, ref: SlackMessageRef): Promise<boolean> {
      return (await mergeJsonField(key(namespace, name), `slack:${ref.channel}`, JSON.stringify(ref))) === 1;
    },
    /** Records a commit status written for the run (periodic runs report on the branch head, not on a PR). */
    async setReportedStatus(namespace: string, name: string, hash: string) {
      await redis.hset(key(namespace, name), "reported:status", hash);
    },
    /** How many runs are ahead of this one in the concurrency queue; undefined once it left the queue. */
    async setQueueAhead(namespace: string, name: string, ahead: number | undefined): Promise<boolean> {
      const k = key(namespace, name);
      if (ahead === undefined) return (await redis.hdel(k, "queueAhead")) === 1;
      const prev = await redis.hget(k, "queueAhead");
      if (prev === String(ahead) || !(await redis.exists(k))) return false;
      await redis.hset(k, "queueAhead", String(ahead));
      return true;
    },
    /** Names of the namespace's runs whose record is not finished (records that expired are dropped here). */
    async unfinishedIn(namespace: string): Promise<string[]> {
      const names = await redis.smembers(unfinishedIndex(namespace));
      const gone = names.length ? (await Promise.all(names.map(async (n) => ((await redis.exists(key(namespace, n))) ? undefined : n)))).filter((n) => n !== undefined) : [];
      if (gone.length) await redis.srem(unfinishedIndex(namespace), ...gone);
      return names.filter((n) => !gone.includes(n));
    },
    /** Every run recorded for a PR (`namespace/name`), in no particular order; none for pr 0 (runs of no PR). */
    async runsOfPullRequest(repo: { owner: string; name: string }, pr: number): Promise<string[]> {
      return redis.smembers(prIndex({ repo, pr }));
    },
    /** Most recent first. */
    async recent(limit: number): Promise<RunRecord[]> {
      const ids = await redis.zrevrange(index, 0, limit - 1);
      const records = await Promise.all(ids.map((id) => { const [ns, name] = id.split("/") as [string, string]; return get(ns, name); }));
      return records.filter((r): r is RunRecord => r !== undefined);
    },
  };
}

export type RunStore = ReturnType<typeof createRunStore>;

function slackRefs(h: Record<string, string>): { slack?: SlackMessageRef[] } {
  const refs = Object.entries(h)
    .filter(([field]) => field.startsWith("slack:"))
    .map(([, value]) => JSON.parse(value) as SlackMessageRef);
  return refs.length ? { slack: refs } : {};
}
