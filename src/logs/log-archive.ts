import { gunzipSync, gzipSync } from "node:zlib";
import type { Redis } from "ioredis";
import type { TektonPort } from "../kube/tekton-port.js";
import type { RunRecord } from "../runs/run-record.js";
import type { TaskStatus } from "../runs/run-status.js";
import type { Lock } from "../work/redis-lock.js";
import { CappedLog } from "./capped-log.js";
import { createMasker, type Masker } from "./mask-secrets.js";

/** What the archive knows about one step's log. */
export interface StepArchive {
  task: string;
  step: string;
  /** `archived`: the whole log (maybe truncated); `partial`: read before mario cancelled the run; `lost`: gone. */
  status: "archived" | "partial" | "lost";
  /** Bytes the log had in the cluster (0 when lost). */
  bytes: number;
  truncated: boolean;
  note?: string;
  at: string;
}

export interface ArchivedStep extends StepArchive {
  text: string;
}

export interface LogArchiveOptions {
  maxStepBytes: number;
  retentionDays: number;
  /** Longest wait for one step's log stream. */
  streamTimeoutMs: number;
}

const stepKey = (task: string, step: string) => `${task}/${step}`;

/**
 * Step logs kept in Redis (gzip, masked, capped per step, TTL = retention) so log pages and posted links keep
 * working after Tekton or the cluster deleted the pods and the PipelineRun. Writes are serialized per run by the
 * lock, so two replicas archiving the same run store it once.
 */
export function createLogArchive(deps: { redis: Redis; prefix: string; tekton: TektonPort; lock: Lock; options: LogArchiveOptions }) {
  const { redis, tekton, options } = deps;
  const key = (ns: string, name: string) => `${deps.prefix}logs:${ns}/${name}`;

  /** Masks the values of the Secrets the run uses. Throws when they cannot be read: no unmasked log is ever kept. */
  async function maskerFor(record: Pick<RunRecord, "meta">): Promise<Masker> {
    const values: string[] = [];
    for (const secret of record.meta.maskSecrets ?? []) values.push(...((await tekton.readSecretValues(record.meta.namespace, secret)) ?? []));
    return createMasker(values);
  }

  async function entries(ns: string, name: string): Promise<Map<string, StepArchive>> {
    const fields = await redis.hgetall(key(ns, name));
    const out = new Map<string, StepArchive>();
    for (const [field, value] of Object.entries(fields)) if (field.startsWith("meta:")) out.set(field.slice(5), JSON.parse(value) as StepArchive);
    return out;
  }

  async function store(ns: string, name: string, entry: StepArchive, text: string | undefined): Promise<void> {
    const k = key(ns, name);
    const id = stepKey(entry.task, entry.step);
    const multi = redis.multi().hset(k, `meta:${id}`, JSON.stringify(entry));
    if (text !== undefined) multi.hset(k, `data:${id}`, gzipSync(text));
    await multi.expire(k, options.retentionDays * 24 * 3600).exec();
  }

  async function readStep(record: RunRecord, masker: Masker, task: TaskStatus, container: string): Promise<{ text: string; bytes: number; truncated: boolean } | undefined> {
    if (!task.podName) return undefined;
    const sink = new CappedLog(options.maxStepBytes, masker);
    const outcome = await tekton.streamLog(record.meta.namespace, task.podName, container, sink, { timeoutMs: options.streamTimeoutMs });
    if (outcome === "gone") return undefined;
    return sink.result();
  }

  /**
   * Archives step logs of `record`:
   * - `finished-tasks`: steps of tasks that ended (while the run goes on, their pods may be collected any time);
   * - `snapshot`: steps still running, as `partial` (mario calls this before it cancels a run, since Tekton
   *   deletes the pods of a cancelled run);
   * - `final`: every step not yet archived; a step whose pod is gone is recorded as lost (or keeps its snapshot).
   * Returns true when it archived anything.
   */
  async function archive(record: RunRecord, mode: "finished-tasks" | "snapshot" | "final"): Promise<boolean> {
    const { namespace: ns, name } = record.meta;
    if (mode === "final" && (await redis.hexists(key(ns, name), "complete"))) return false;
    return deps.lock.withLock(`archive:${ns}/${name}`, async () => {
      const known = await entries(ns, name);
      if (mode === "final" && (await redis.hexists(key(ns, name), "complete"))) return false;
      let masker: Masker | undefined;
      let wrote = false;
      for (const task of record.tasks) {
        const taskDone = task.state !== "pending" && task.state !== "running";
        if (mode === "finished-tasks" && !taskDone) continue;
        for (const step of task.steps) {
          const prev = known.get(stepKey(task.name, step.name));
          if (prev && prev.status !== "partial") continue;
          if (mode === "snapshot" && (prev || step.state !== "running")) continue;
          if (!task.podName) continue; // never started: there is no log to keep
          masker ??= await maskerFor(record);
          const log = await readStep(record, masker, task, step.container);
          const at = new Date().toISOString();
          if (log) {
            const status = mode === "snapshot" ? "partial" : "archived";
            const note = mode === "snapshot" ? "Read just before mario cancelled the run; later output is not kept." : undefined;
            await store(ns, name, { task: task.name, step: step.name, status, bytes: log.bytes, truncated: log.truncated, at, ...(note ? { note } : {}) }, log.text);
            wrote = true;
          } else if (mode !== "snapshot" && !prev) {
            const note = `The pod ${task.podName} was deleted before mario could archive this step's log, so it is lost.`;
            await store(ns, name, { task: task.name, step: step.name, status: "lost", bytes: 0, truncated: false, at, note }, undefined);
            wrote = true;
          } else if (mode !== "snapshot" && prev?.status === "partial") {
            // The pod went away after the snapshot (a cancelled run): the snapshot is what is kept.
            await store(ns, name, { ...prev, note: "The run was cancelled; this is the log up to the cancel (its pod was then deleted)." }, undefined);
          }
        }
      }
      if (mode === "final") {
        await redis.multi().hset(key(ns, name), "complete", new Date().toISOString()).expire(key(ns, name), options.retentionDays * 24 * 3600).exec();
      }
      return wrote;
    });
  }

  return {
    archive,
    maskerFor,
    /** Every archived step (newest state), with its text. */
    async read(ns: string, name: string): Promise<Map<string, ArchivedStep>> {
      const fields = await redis.hgetallBuffer(key(ns, name));
      const out = new Map<string, ArchivedStep>();
      for (const [field, value] of Object.entries(fields)) {
        if (!field.startsWith("meta:")) continue;
        const id = field.slice(5);
        const meta = JSON.parse(value.toString("utf8")) as StepArchive;
        const data = fields[`data:${id}`];
        out.set(id, { ...meta, text: data ? gunzipSync(data).toString("utf8") : "" });
      }
      return out;
    },
    async isComplete(ns: string, name: string): Promise<boolean> {
      return (await redis.hexists(key(ns, name), "complete")) === 1;
    },
  };
}

export type LogArchive = ReturnType<typeof createLogArchive>;
export const archivedStepKey = stepKey;
