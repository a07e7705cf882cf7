import type { RunRecord } from "./run-record.js";
import { finishedStates } from "./run-status.js";
import type { RunStore } from "./run-store.js";

/**
 * Records that an unfinished run's PipelineRun is gone from the cluster (deleted by someone, or while mario was
 * not watching). Returns true when the record changed, i.e. when the run must be reported.
 */
export async function markRunDeleted(store: RunStore, record: RunRecord): Promise<boolean> {
  if (finishedStates.has(record.status.state)) return false;
  return store.setStatus(record.meta.namespace, record.meta.name, {
    ...record.status,
    state: "deleted",
    message: "The PipelineRun was deleted from the cluster before it finished.",
    completedAt: new Date().toISOString(),
  });
}
