import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { queueName } from "../work/work-queue.js";
import type { Metrics } from "./metrics.js";

const states = ["waiting", "active", "delayed", "prioritized", "failed"] as const;

/** Reads the work queue's job counts at each scrape into `mario_queue_jobs{state}`. Returns a closer. */
export function observeQueueDepth(connection: Redis, prefix: string, metrics: Metrics): { close(): Promise<void> } {
  const queue = new Queue(queueName, { connection, prefix });
  queue.on("error", () => undefined); // logged by the connection's own listener (mario.ts)
  metrics.onCollect(async () => {
    const counts = await queue.getJobCounts(...states);
    for (const state of states) metrics.queueDepth(state, counts[state] ?? 0);
  });
  return { close: () => queue.close() };
}
