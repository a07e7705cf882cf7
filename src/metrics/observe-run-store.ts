import type { RunStore } from "../runs/run-store.js";
import type { Metrics } from "./metrics.js";

/** Counts each visible state change of a run record (`mario_pipelineruns_total{state}`), whoever makes it. */
export function observeRunStore(store: RunStore, metrics: Metrics): RunStore {
  return {
    ...store,
    async create(meta, status) {
      const created = await store.create(meta, status);
      if (created) metrics.runState(status.state);
      return created;
    },
    async setStatus(namespace, name, status, tasks) {
      const before = await store.get(namespace, name);
      const changed = await store.setStatus(namespace, name, status, tasks);
      if (changed && before?.status.state !== status.state) metrics.runState(status.state);
      return changed;
    },
    async setStatusWhile(namespace, name, status, states) {
      const before = await store.get(namespace, name);
      const changed = await store.setStatusWhile(namespace, name, status, states);
      if (changed && before?.status.state !== status.state) metrics.runState(status.state);
      return changed;
    },
  };
}
