import { kubeStatusCode } from "../kube/kube-errors.js";
import { managedBySelector } from "../kube/labels.js";
import type { TektonPort, WatchHandle } from "../kube/tekton-port.js";
import type { PipelineRun } from "../kube/tekton-types.js";
import { markRunDeleted } from "./mark-run-deleted.js";
import { metaFromPipelineRun } from "./meta-from-pipeline-run.js";
import type { RunSignature } from "./run-signature.js";
import { finishedStates, pipelineRunStatus, taskStatuses } from "./run-status.js";
import type { RunStore } from "./run-store.js";
import { beforeCreation } from "./start-run.js";

export interface WatchDeps {
  tekton: TektonPort;
  store: RunStore;
  /** Checks that a run mario has no record of was created by mario before its record is rebuilt. */
  signature: Pick<RunSignature, "verify">;
  namespaces: string[];
  /** Called when a run's visible state changed; `version` identifies the change (for job de-duplication). */
  onChange(namespace: string, name: string, version: string): Promise<void>;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** Reconnect delays (ms): first try, and the cap of the doubling. */
  backoff?: { initialMs: number; maxMs: number };
}

export interface RunWatcher {
  /** Resolves once every namespace was listed and its watch opened. */
  ready: Promise<void>;
  stop(): void;
}

/**
 * Follows the PipelineRuns mario created: list, then watch from the list's resourceVersion; on a dropped stream
 * resume from the last version seen; on 410 Gone list again. Each list also finds the runs deleted while nobody
 * watched (mario down, a 410 gap, a lease changing hands): unfinished records the list lacks are marked deleted.
 * Reconnects back off while opening fails; a watch that opened resets the delay, and one the server closed
 * cleanly (its timeout) reopens at once.
 */
export function watchRuns(deps: WatchDeps): RunWatcher {
  const loops = deps.namespaces.map((ns) => namespaceLoop(deps, ns));
  return {
    ready: Promise.all(loops.map((l) => l.ready)).then(() => undefined),
    stop: () => loops.forEach((l) => l.stop()),
  };
}

function namespaceLoop(deps: WatchDeps, namespace: string): RunWatcher {
  const { initialMs, maxMs } = deps.backoff ?? { initialMs: 500, maxMs: 30_000 };
  let stopped = false;
  let handle: WatchHandle | undefined;
  let timer: NodeJS.Timeout | undefined;
  let resourceVersion = "";
  let delay = initialMs;
  // Events of one run are handled in order: a slow handling of an older event must not overwrite a newer state.
  const chains = new Map<string, Promise<void>>();
  const inOrder = (name: string, handle: () => Promise<void>) => {
    const next = (chains.get(name) ?? Promise.resolve()).catch(() => undefined).then(handle);
    chains.set(name, next);
    const forget = () => void (chains.get(name) === next && chains.delete(name));
    next.then(forget, forget);
    return next;
  };
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const schedule = (relist: boolean, wait = delay) => {
    if (stopped) return;
    timer = setTimeout(() => void connect(relist), wait);
    delay = Math.min(delay * 2, maxMs);
  };

  const connect = async (relist: boolean) => {
    if (stopped) return;
    try {
      if (relist || !resourceVersion) resourceVersion = await sync(deps, namespace);
      let expired = false;
      const openedAt = Date.now();
      handle = await deps.tekton.watchPipelineRuns(
        namespace,
        managedBySelector,
        resourceVersion,
        (type, object) => {
          if (type === "ERROR") {
            expired = (object as { code?: number })?.code === 410;
            return;
          }
          const run = object as PipelineRun;
          if (run?.metadata?.resourceVersion) resourceVersion = run.metadata.resourceVersion;
          if (type === "BOOKMARK") return;
          void inOrder(run.metadata?.name ?? "", () => handleEvent(deps, type === "DELETED", run)).catch((error) => deps.log.warn({ err: error, run: run.metadata?.name }, "could not record a PipelineRun event"));
        },
        (error) => {
          if (stopped) return;
          const gone = expired || kubeStatusCode(error) === 410;
          if (error || gone) deps.log.warn({ namespace, err: error, gone }, "PipelineRun watch closed; reconnecting");
          // A clean close is the server's watch timeout: reopen at once (unless it closes as soon as it opens).
          const clean = !error && !gone && Date.now() - openedAt >= initialMs;
          schedule(gone, clean ? 0 : delay);
        },
      );
      delay = initialMs;
      markReady();
    } catch (error) {
      deps.log.warn({ namespace, err: error }, "cannot list or watch PipelineRuns; retrying");
      schedule(true);
    }
  };

  void connect(true);
  return {
    ready,
    stop() {
      stopped = true;
      clearTimeout(timer);
      handle?.stop();
    },
  };
}

/**
 * Lists every run mario manages in the namespace and records each; then marks deleted the unfinished records the
 * list lacks (confirmed one by one: a run created after the list was taken is not missing). Returns the list's
 * resourceVersion.
 */
async function sync(deps: WatchDeps, namespace: string): Promise<string> {
  const list = await deps.tekton.listPipelineRuns(namespace, managedBySelector);
  await Promise.all(list.items.map((run) => handleEvent(deps, false, run)));
  const listed = new Set(list.items.map((run) => run.metadata.name));
  for (const name of await deps.store.unfinishedIn(namespace)) {
    if (listed.has(name)) continue;
    const record = await deps.store.get(namespace, name);
    // A run being created has no PipelineRun yet; its creator reports it.
    if (!record || beforeCreation.has(record.status.state) || finishedStates.has(record.status.state)) continue;
    if (await deps.tekton.getPipelineRun(namespace, name)) continue;
    if (await markRunDeleted(deps.store, record)) await deps.onChange(namespace, name, `deleted-${list.resourceVersion}`);
  }
  return list.resourceVersion;
}

async function handleEvent(deps: WatchDeps, deleted: boolean, run: PipelineRun): Promise<void> {
  const { namespace = "", name } = run.metadata;
  let record = await deps.store.get(namespace, name);
  if (!record) {
    // Created by mario but unknown to this Redis (lost, or a fresh one): rebuild the record from the run itself.
    const meta = metaFromPipelineRun(run, deps.signature);
    if (!meta) return;
    await deps.store.create(meta, pipelineRunStatus(run));
    record = await deps.store.get(namespace, name);
    if (!record) return;
  }
  const version = run.metadata.resourceVersion ?? String(Date.now());
  if (deleted) {
    if (await markRunDeleted(deps.store, record)) await deps.onChange(namespace, name, `deleted-${version}`);
    return;
  }
  const status = pipelineRunStatus(run);
  // Cancelled while mario did not know the run existed (its create timed out, yet happened): the cluster follows.
  if (record.cancelRequested && !finishedStates.has(status.state) && !run.spec?.status?.startsWith("Cancelled")) {
    await deps.tekton.cancelPipelineRun(namespace, name);
  }
  if (finishedStates.has(record.status.state) && record.status.state === status.state && record.tasks.length > 0) return;
  const tasks = status.state === "queued" || status.state === "pending" ? [] : taskStatuses(await deps.tekton.listTaskRuns(namespace, name));
  if (await deps.store.setStatus(namespace, name, status, tasks)) await deps.onChange(namespace, name, version);
}
