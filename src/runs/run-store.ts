import type { Redis } from "ioredis";
import type { RunFailure, RunMeta, RunRecord } from "./run-record.js";
import type { RunStatus, TaskStatus } from "./run-status.js";

const retentionSeconds = 30 * 24 * 3600;

/**
 * Run records in Redis. One hash per run with one field per concern (status, ids, report hashes), so the watcher
 * and the reporter never overwrite each other's writes.
 */
export function createRunStore(redis: Redis, prefix: string) {
  const key = (ns: string, name: string) => `${prefix}run:${ns}/${name}`;
  const index = `${prefix}runs`;

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
    };
  }

  return {
    get,
    /** Records a requested run once; a retried job finds the record it already wrote. Returns true when new. */
    async create(meta: RunMeta, status: RunStatus): Promise<boolean> {
      const k = key(meta.namespace, meta.name);
      const created = await redis.hsetnx(k, "meta", JSON.stringify(meta));
      if (created === 1) {
        await redis
          .multi()
          .hset(k, "status", JSON.stringify(status))
          .expire(k, retentionSeconds)
          .zadd(index, Date.parse(meta.createdAt), `${meta.namespace}/${meta.name}`)
          .exec();
      }
      return created === 1;
    },
    /** Saves the status seen in the cluster; returns false when nothing a user would see changed. */
    async setStatus(namespace: string, name: string, status: RunStatus, tasks?: TaskStatus[]): Promise<boolean> {
      const k = key(namespace, name);
      const next = JSON.stringify(status);
      const nextTasks = tasks ? JSON.stringify(tasks) : undefined;
      const [prev, prevTasks] = await redis.hmget(k, "status", "tasks");
      if (prev === next && (nextTasks === undefined || prevTasks === nextTasks)) return false;
      await redis.hset(k, { status: next, ...(nextTasks ? { tasks: nextTasks } : {}) });
      return true;
    },
    async setFailure(namespace: string, name: string, failure: RunFailure) {
      await redis.hset(key(namespace, name), "failure", JSON.stringify(failure));
    },
    async setIds(namespace: string, name: string, ids: { checkRunId?: number; commentId?: number }) {
      const fields: Record<string, string> = {};
      if (ids.checkRunId !== undefined) fields.checkRunId = String(ids.checkRunId);
      if (ids.commentId !== undefined) fields.commentId = String(ids.commentId);
      if (Object.keys(fields).length) await redis.hset(key(namespace, name), fields);
    },
    /** What was last written to GitHub (a hash per target), so unchanged reports cost no API request. */
    async reportedHash(namespace: string, name: string, target: string): Promise<string | null> {
      return redis.hget(key(namespace, name), `reported:${target}`);
    },
    async setReportedHash(namespace: string, name: string, target: string, hash: string) {
      await redis.hset(key(namespace, name), `reported:${target}`, hash);
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
