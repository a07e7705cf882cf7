import type { PipelineRun, TaskRun, WatchEventType } from "./tekton-types.js";

export interface PipelineRunList {
  items: PipelineRun[];
  resourceVersion: string;
}

export interface WatchHandle {
  stop(): void;
}

/** What mario's core needs from the Kubernetes API. */
export interface TektonPort {
  /** Creates the run; an existing run of the same name is returned with `created: false` (idempotent retries). */
  createPipelineRun(namespace: string, run: PipelineRun): Promise<{ created: boolean; run: PipelineRun }>;
  getPipelineRun(namespace: string, name: string): Promise<PipelineRun | undefined>;
  listPipelineRuns(namespace: string, labelSelector: string): Promise<PipelineRunList>;
  /** `onEvent` gets every event; `onClose` once, with the error if the stream failed. */
  watchPipelineRuns(
    namespace: string,
    labelSelector: string,
    resourceVersion: string,
    onEvent: (type: WatchEventType, object: unknown) => void,
    onClose: (error?: unknown) => void,
  ): Promise<WatchHandle>;
  listTaskRuns(namespace: string, pipelineRunName: string): Promise<TaskRun[]>;
  /**
   * Cancels a run the way Tekton documents it (merge patch `spec.status: Cancelled`). Returns false when the run
   * no longer exists.
   */
  cancelPipelineRun(namespace: string, name: string): Promise<boolean>;
  /** The container's log, or undefined when the pod (or container) no longer exists. */
  readLog(namespace: string, pod: string, container: string, options?: { tailLines?: number; limitBytes?: number }): Promise<string | undefined>;
  /** Starts a run created as `PipelineRunPending` (clears `spec.status`). False when the run no longer exists. */
  startPendingPipelineRun(namespace: string, name: string): Promise<boolean>;
  /** Deletes a run (Tekton's garbage collection removes its TaskRuns and pods). False when it was already gone. */
  deletePipelineRun(namespace: string, name: string): Promise<boolean>;
  /** A Secret's decoded values, or undefined when it does not exist. Used only to mask them in logs. */
  readSecretValues(namespace: string, name: string): Promise<string[] | undefined>;
  /**
   * Streams a container's whole log into `sink` (never buffered here, so a huge log costs no memory). Resolves
   * "gone" when the pod or container no longer exists; rejects when the stream does not end within `timeoutMs`.
   */
  streamLog(namespace: string, pod: string, container: string, sink: NodeJS.WritableStream, options: { timeoutMs: number; tailLines?: number }): Promise<"ok" | "gone">;
  /** Readiness: can mario reach the API server. */
  ping(): Promise<void>;
}
