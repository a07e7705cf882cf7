import { mergedSince } from "./plan-pool.js";
import type { PoolStore } from "./pool-store.js";
import type { PoolKey } from "./pool-types.js";

/**
 * A push to a pool's base branch. Webhooks arrive late and out of order, so one never moves the stored base back:
 * a push to a commit mario merged before the head it knows (its lineage) is ignored; a push from the head it knows
 * moves it (compare-and-set); anything else (and any force-push) makes the next sync read the branch from GitHub. Returns whether the
 * pool needs a sync.
 */
export async function applyBasePush(store: PoolStore, pool: PoolKey, before: string | undefined, after: string, forced = false): Promise<boolean> {
  const base = await store.base(pool);
  if (!base) return true; // no snapshot yet: the next sync reads everything
  if (forced) {
    // A force-push may move the branch back onto a commit mario merged earlier: only GitHub knows where it is —
    // even onto the head mario has stored, which its merges in flight are about to move on from.
    await store.markBaseStale(pool);
    return true;
  }
  if (base.sha === after) return false; // mario's own merge, already known
  const { lineage } = await store.load(pool);
  if (mergedSince(lineage, base.sha, after) !== undefined) return false; // an earlier commit of mario's own merges
  if (before && (await store.setBase(pool, after, before)) === "moved") return true;
  await store.markBaseStale(pool);
  return true;
}
