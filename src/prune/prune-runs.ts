import { labels, labelValue, managedBySelector } from "../kube/labels.js";
import type { TektonPort } from "../kube/tekton-port.js";
import type { PipelineRun } from "../kube/tekton-types.js";
import type { LogArchive } from "../logs/log-archive.js";
import type { RunMeta } from "../runs/run-record.js";
import type { RunStore } from "../runs/run-store.js";

export interface PruneDeps {
  tekton: TektonPort;
  store: RunStore;
  archive: LogArchive;
  /** Finished runs kept per repository and job (or command); 0 = never delete. */
  keep: number;
  log: { warn(o: object, m: string): void };
}

const finished = (run: PipelineRun) => {
  const c = run.status?.conditions?.find((x) => x.type === "Succeeded");
  return c?.status === "True" || c?.status === "False";
};
const finishedAt = (run: PipelineRun) => run.status?.completionTime ?? run.metadata.creationTimestamp ?? "";

/**
 * Keeps the newest `keep` finished PipelineRuns of the same repository and job (labels) and deletes the older
 * ones — never a running or pending one, and never one whose logs are not archived yet (it is archived first).
 * mario's records and archived logs stay, so history and posted links outlive the deletion. Returns the names deleted.
 */
export async function pruneRuns(deps: PruneDeps, meta: Pick<RunMeta, "namespace" | "repo" | "verb">): Promise<string[]> {
  if (deps.keep === 0) return [];
  const selector = [
    managedBySelector,
    `${labels.owner}=${labelValue(meta.repo.owner)}`,
    `${labels.repo}=${labelValue(meta.repo.name)}`,
    `${labels.command}=${labelValue(meta.verb)}`,
  ].join(",");
  const { items } = await deps.tekton.listPipelineRuns(meta.namespace, selector);
  const done = items.filter(finished);
  if (done.length <= deps.keep) return [];
  // Kubernetes times have whole seconds; mario's records break ties with millisecond creation times.
  const created = new Map(await Promise.all(done.map(async (r) => [r.metadata.name, (await deps.store.get(meta.namespace, r.metadata.name))?.meta.createdAt ?? ""] as const)));
  const old = done
    .sort((a, b) => finishedAt(b).localeCompare(finishedAt(a)) || created.get(b.metadata.name)!.localeCompare(created.get(a.metadata.name)!))
    .slice(deps.keep);
  const deleted: string[] = [];
  for (const run of old) {
    const name = run.metadata.name;
    try {
      if (!(await deps.archive.isComplete(meta.namespace, name))) {
        const record = await deps.store.get(meta.namespace, name);
        if (record) await deps.archive.archive(record, "final");
      }
      if (await deps.tekton.deletePipelineRun(meta.namespace, name)) deleted.push(name);
    } catch (error) {
      deps.log.warn({ err: error, run: name }, "could not prune a PipelineRun; the next finished run tries again");
    }
  }
  return deleted;
}
