import type { PoolView } from "../merge-queue/pool-store.js";
import type { Metrics } from "./metrics.js";

/** What the gauge reads: the pool views the merge queue's driver writes after each sync (src/merge-queue). */
export interface PoolViews {
  pools(): Promise<string[]>;
  view(pool: string): Promise<PoolView | undefined>;
}

/**
 * Reads each pool's line length into `mario_merge_queue_size{pool}` at each scrape, from the views the driver
 * wrote: the same on every replica (aggregate with max), whichever replica drives the queue.
 */
export function observeMergePools(store: PoolViews, metrics: Metrics): void {
  metrics.onCollect(async () => {
    for (const pool of await store.pools()) metrics.mergeQueue.size(pool, (await store.view(pool))?.queue.length ?? 0);
  });
}
