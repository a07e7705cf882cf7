import { DelayedError, Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { JobData, JobName } from "./job-types.js";
import { rateLimitDelayMs } from "./rate-limit-delay.js";
import { retryDelayMs, type RetryPolicy } from "./retry-policy.js";

export const queueName = "work";

export interface WorkQueue {
  /** Queues a job once per `id`: a redelivered webhook with the same id is not queued again. */
  add<N extends JobName>(name: N, data: JobData[N], id: string, options?: { delayMs?: number }): Promise<void>;
  close(): Promise<void>;
}

/** BullMQ job ids may not contain ':'; ours come from delivery ids and run names. */
const safeId = (id: string) => id.replace(/[^A-Za-z0-9_.-]/g, "_");

export function createWorkQueue(connection: Redis, prefix: string, retry: RetryPolicy): WorkQueue {
  const queue = new Queue(queueName, { connection, prefix });
  // Connection trouble is logged once, by the connection's own listener (mario.ts); without a listener here,
  // BullMQ would print each failed reconnect to stderr, outside the JSON logs.
  queue.on("error", () => undefined);
  return {
    async add(name, data, id, options) {
      await queue.add(name, data, {
        jobId: safeId(`${name}-${id}`),
        ...(options?.delayMs ? { delay: options.delayMs } : {}),
        attempts: retry.attempts,
        backoff: { type: "mario" },
        // Completed jobs are kept a day so that a redelivery of the same webhook is recognised and dropped.
        removeOnComplete: { age: 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    },
    close: () => queue.close(),
  };
}

/** Which attempt of a job this is; `scheduledAt`: when its job scheduler meant it to run (periodic jobs). */
export type Attempt = { number: number; of: number; scheduledAt?: number };
export type JobHandler = <N extends JobName>(name: N, data: JobData[N], attempt: Attempt) => Promise<void>;
export type JobHandlers = { [N in JobName]: (data: JobData[N], attempt: Attempt) => Promise<void> };

/**
 * `lockMs`: how long a worker's claim on a job lasts without renewal (renewed every half of it). A worker killed
 * mid-job leaves it "stalled"; another worker takes it back after about this long. A job that stalls more than
 * `maxStalls` times (it keeps killing its worker) fails instead of looping.
 */
export interface WorkerOptions {
  lockMs?: number;
  maxStalls?: number;
  /** Errors of the worker's own loop (a lost connection, a lock it could not renew), not of a job. */
  onError?: (error: Error) => void;
  /** A job put off because a service rate limited it: it runs again after `waitMs`, its attempt not used up. */
  onDeferred?: (job: Job, waitMs: number, error: unknown) => void;
}

/**
 * The time a job scheduler meant this job for, whenever it actually runs (late, or retried): the millis BullMQ
 * puts in the job's id (`repeat:<scheduler>:<millis>`), else its `prevMillis`. Undefined for other jobs.
 */
export function scheduledAt(job: Pick<Job, "id" | "opts" | "repeatJobKey">): number | undefined {
  if (!job.repeatJobKey) return undefined;
  const millis = /^repeat:.+:(\d+)$/.exec(job.id ?? "")?.[1];
  return millis !== undefined ? Number(millis) : job.opts.prevMillis;
}

export function startWorker(connection: Redis, prefix: string, retry: RetryPolicy, concurrency: number, handle: JobHandler, onFailed: (job: Job | undefined, error: Error) => void, options: WorkerOptions = {}): Worker {
  const worker = new Worker(
    queueName,
    async (job: Job, token?: string) => {
      const at = scheduledAt(job);
      try {
        await handle(job.name as JobName, job.data, { number: job.attemptsMade + 1, of: job.opts.attempts ?? 1, ...(at !== undefined ? { scheduledAt: at } : {}) });
      } catch (error) {
        // A rate limit is not a failure of the job: it waits the time asked for and keeps its attempts, so a long
        // limit (or many in a row) never uses them all up and drops the work.
        const waitMs = rateLimitDelayMs(error);
        if (waitMs === undefined || token === undefined) throw error;
        await job.moveToDelayed(Date.now() + waitMs, token);
        options.onDeferred?.(job, waitMs, error);
        throw new DelayedError();
      }
    },
    {
      connection,
      prefix,
      concurrency,
      ...(options.lockMs ? { lockDuration: options.lockMs, stalledInterval: options.lockMs } : {}),
      maxStalledCount: options.maxStalls ?? 3,
      settings: { backoffStrategy: (attemptsMade, _type, error) => retryDelayMs(retry, attemptsMade, error) },
    },
  );
  worker.on("failed", onFailed);
  worker.on("error", (error) => options.onError?.(error));
  return worker;
}
