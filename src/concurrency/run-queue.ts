import type { Redis } from "ioredis";
import { repoKey } from "../github/repo-full-name.js";
import type { TektonPort } from "../kube/tekton-port.js";
import type { RunMeta } from "../runs/run-record.js";
import { finishedStates } from "../runs/run-status.js";
import { markRunDeleted } from "../runs/mark-run-deleted.js";
import type { RunStore } from "../runs/run-store.js";
import { beforeCreation } from "../runs/start-run.js";

export interface ConcurrencyLimits {
  /** 0 = no limit. */
  perRepo: number;
  global: number;
}

/** How far the queue is scanned per pump; entries beyond wait for the next pump. */
const maxScan = 1000;
/** Queued runs whose "N ahead" is kept up to date on their check runs. */
const maxPositions = 100;

// KEYS: active (hash run → repo), queue (zset run → seq), queued repo (hash run → repo), seq counter.
// ARGV: perRepo, global, maxScan, [run, repo] to enqueue first (optional).
const pumpScript = `
local perRepo = tonumber(ARGV[1]); local global = tonumber(ARGV[2]); local maxScan = tonumber(ARGV[3])
if ARGV[4] and ARGV[4] ~= "" then
  if redis.call("hexists", KEYS[1], ARGV[4]) == 0 and not redis.call("zscore", KEYS[2], ARGV[4]) then
    redis.call("zadd", KEYS[2], redis.call("incr", KEYS[4]), ARGV[4])
    redis.call("hset", KEYS[3], ARGV[4], ARGV[5])
  end
end
local active = redis.call("hgetall", KEYS[1])
local counts = {}; local total = 0
for i = 1, #active, 2 do local r = active[i + 1]; counts[r] = (counts[r] or 0) + 1; total = total + 1 end
local admitted = {}
local queued = redis.call("zrange", KEYS[2], 0, maxScan - 1)
for _, run in ipairs(queued) do
  if global > 0 and total >= global then break end
  local repo = redis.call("hget", KEYS[3], run)
  if not repo then
    redis.call("zrem", KEYS[2], run)
  elseif perRepo == 0 or (counts[repo] or 0) < perRepo then
    redis.call("zrem", KEYS[2], run); redis.call("hdel", KEYS[3], run); redis.call("hset", KEYS[1], run, repo)
    counts[repo] = (counts[repo] or 0) + 1; total = total + 1
    table.insert(admitted, run)
  end
end
return admitted`;

type QueueRedis = Redis & { marioConcurrencyPump(a: string, q: string, r: string, s: string, ...args: (string | number)[]): Promise<string[]> };

export interface RunQueueDeps {
  redis: Redis;
  prefix: string;
  limits: ConcurrencyLimits;
  tekton: TektonPort;
  store: RunStore;
  /** Brings a run's check run up to date (queued → started, or its "N ahead"). */
  refresh(namespace: string, name: string, version: string): Promise<void>;
  log: { warn(o: object, m: string): void };
}

/** Defines the concurrency limit's script on a client (once); see src/work/redis-scripts.ts for why before anything is sent. */
export function defineRunQueueScripts(redis: Redis): QueueRedis {
  if (!("marioConcurrencyPump" in redis)) redis.defineCommand("marioConcurrencyPump", { numberOfKeys: 4, lua: pumpScript });
  return redis as QueueRedis;
}

/**
 * The concurrency limit: a FIFO of runs in Redis (so it survives restarts and is shared by replicas). A run
 * beyond the limit is created with `spec.status: PipelineRunPending`; when a slot frees (a run finished, or
 * the sweep found a slot held by a run that is gone) the oldest runs that fit are started by clearing it.
 * Admission is one Lua script, so two replicas never admit past the limit.
 */
export function createRunQueue(deps: RunQueueDeps) {
  const r = deps.redis;
  const scripts = defineRunQueueScripts(r);
  const k = {
    active: `${deps.prefix}conc:active`,
    queue: `${deps.prefix}conc:queue`,
    repoOf: `${deps.prefix}conc:queued-repo`,
    seq: `${deps.prefix}conc:seq`,
  };
  const pump = (run = "", repo = "") => scripts.marioConcurrencyPump(k.active, k.queue, k.repoOf, k.seq, deps.limits.perRepo, deps.limits.global, maxScan, run, repo);

  /** Clears `PipelineRunPending` on admitted runs. A run not created yet is started by its creator (afterCreate). */
  async function start(runs: string[]): Promise<void> {
    for (const run of runs) {
      const [ns, name] = run.split("/") as [string, string];
      try {
        await deps.store.setQueueAhead(ns, name, undefined);
        const record = await deps.store.get(ns, name);
        if (record?.status.state === "pending" && (await deps.tekton.startPendingPipelineRun(ns, name))) continue; // the watcher reports it
        if (record) await deps.refresh(ns, name, "admitted");
      } catch (error) {
        deps.log.warn({ err: error, run }, "could not start a queued run; the sweep will retry");
      }
    }
    await positions();
  }

  /**
   * How many waiting runs are ahead of each of the first `count` in line and actually block it: with a global
   * limit every run ahead does; with only a per-repo limit, only runs of the same repository do.
   */
  async function blockingAhead(count: number): Promise<Map<string, number>> {
    const waiting = await r.zrange(k.queue, 0, String(count - 1));
    const repos = waiting.length ? await r.hmget(k.repoOf, ...waiting) : [];
    const perRepo = new Map<string | null, number>();
    const out = new Map<string, number>();
    waiting.forEach((run, i) => {
      const repo = repos[i] ?? null;
      out.set(run, deps.limits.global > 0 ? i : (perRepo.get(repo) ?? 0));
      perRepo.set(repo, (perRepo.get(repo) ?? 0) + 1);
    });
    return out;
  }

  /** Writes each waiting run's "N ahead" and refreshes the check runs that changed. */
  async function positions(): Promise<void> {
    const ahead = await blockingAhead(maxPositions);
    await Promise.all(
      [...ahead].map(async ([run, n]) => {
        const [ns, name] = run.split("/") as [string, string];
        if (await deps.store.setQueueAhead(ns, name, n)) await deps.refresh(ns, name, `queue-${n}`);
      }),
    );
  }

  return {
    /** Called before the run is created: true = start it now, false = create it pending (it waits in line). */
    async admit(meta: RunMeta): Promise<boolean> {
      const run = `${meta.namespace}/${meta.name}`;
      const admitted = await pump(run, repoKey(meta.repo));
      const self = admitted.includes(run) || (await r.hexists(k.active, run)) === 1;
      const others = admitted.filter((a) => a !== run);
      if (others.length) await start(others);
      if (!self) {
        const ahead = (await blockingAhead(maxScan)).get(run);
        if (ahead !== undefined) await deps.store.setQueueAhead(meta.namespace, meta.name, ahead);
      }
      return self;
    },
    /** Called after a pending run was created: a slot may have freed in between. */
    async afterCreate(meta: RunMeta): Promise<void> {
      const run = `${meta.namespace}/${meta.name}`;
      if ((await r.hexists(k.active, run)) === 1) await start([run]);
    },
    /** A run finished (or was cancelled or deleted): its slot goes to the next in line. */
    async release(namespace: string, name: string): Promise<void> {
      const run = `${namespace}/${name}`;
      await r.multi().hdel(k.active, run).zrem(k.queue, run).hdel(k.repoOf, run).exec();
      await start(await pump());
    },
    /**
     * Repairs what lost events could leave behind: slots held by runs that finished or vanished are freed (a run
     * gone from the cluster is recorded deleted and reported), admitted runs still pending are started, and the
     * queue is pumped. Runs on a timer, so the queue never jams.
     */
    async sweep(): Promise<void> {
      const active = await r.hkeys(k.active);
      const stuck: string[] = [];
      for (const run of active) {
        const [ns, name] = run.split("/") as [string, string];
        const record = await deps.store.get(ns, name);
        if (!record || finishedStates.has(record.status.state)) {
          await r.hdel(k.active, run);
          continue;
        }
        if (beforeCreation.has(record.status.state)) continue; // its creator holds the slot
        // The record may trust a run deleted while nobody watched: ask the cluster.
        if (!(await deps.tekton.getPipelineRun(ns, name))) {
          if (await markRunDeleted(deps.store, record)) await deps.refresh(ns, name, "deleted-swept");
          await r.hdel(k.active, run);
        } else if (record.status.state === "pending") stuck.push(run);
      }
      await start([...stuck, ...(await pump())]);
    },
    /** For tests and the README: runs in flight and runs waiting, oldest first. */
    async snapshot(): Promise<{ active: string[]; waiting: string[] }> {
      return { active: await r.hkeys(k.active), waiting: await r.zrange(k.queue, 0, "-1") };
    },
  };
}

export type RunQueue = ReturnType<typeof createRunQueue>;
