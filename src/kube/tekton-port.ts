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
  /** The container's log, or undefined when the pod (or container) no longer exists. */
  readLog(namespace: string, pod: string, container: string, options?: { tailLines?: number; limitBytes?: number }): Promise<string | undefined>;
  /** Readiness: can mario reach the API server. */
  ping(): Promise<void>;
}
