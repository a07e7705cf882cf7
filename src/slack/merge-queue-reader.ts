import type { PoolView } from "../merge-queue/pool-store.js";
import { parsePoolId } from "../merge-queue/pool-types.js";
import type { MergePoolView, QueueReader } from "./queue-reader.js";

/** The part of the merge queue's store that `/mario queue` reads: the views its driver writes after each sync. */
export interface PoolViews {
  pools(): Promise<string[]>;
  view(pool: string): Promise<PoolView | undefined>;
}

/** `/mario queue` over the merge queue's pool views: queued PRs in order, then those still missing something. */
export function mergeQueueReader(views: PoolViews): QueueReader {
  return async (repo) => {
    const ours = (await views.pools()).filter((id) => {
      const key = parsePoolId(id);
      return key !== undefined && key.owner.toLowerCase() === repo.owner.toLowerCase() && key.repo.toLowerCase() === repo.name.toLowerCase();
    });
    const pools: MergePoolView[] = [];
    for (const id of ours) {
      const view = await views.view(id);
      if (!view) continue;
      const testing = view.inFlight.filter((r) => r.state !== "passed" && r.state !== "failed");
      pools.push({
        branch: parsePoolId(id)!.branch,
        state: view.stopped ? `stopped: ${view.stopped}` : testing.length ? `testing ${testing.map((r) => r.prs.map((n) => `#${n}`).join("+")).join(", ")}` : "idle",
        pullRequests: [
          ...[...view.queue].sort((a, b) => a.position - b.position).map((q) => ({ number: q.number, position: q.position, missing: q.testing ? ["its test run to finish"] : [] })),
          ...view.waiting.map((w) => ({ number: w.number, missing: [w.missing] })),
        ],
      });
    }
    return pools;
  };
}
