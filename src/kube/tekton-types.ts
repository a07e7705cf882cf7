/** The parts of Tekton v1 objects mario reads and writes (tekton.dev/v1). */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface PipelineRun {
  apiVersion: "tekton.dev/v1";
  kind: "PipelineRun";
  metadata: ObjectMeta;
  spec: {
    pipelineRef?: { name: string } | { resolver: string; params: { name: string; value: string }[] };
    params?: { name: string; value: string }[];
    workspaces?: Record<string, unknown>[];
    taskRunTemplate?: { serviceAccountName?: string; podTemplate?: Record<string, unknown> };
    timeouts?: { pipeline?: string; tasks?: string; finally?: string };
    status?: string;
  };
  status?: {
    conditions?: Condition[];
    startTime?: string;
    completionTime?: string;
    results?: { name: string; value: unknown }[];
    childReferences?: { kind: string; name: string; pipelineTaskName?: string }[];
  };
}

export interface TaskRun {
  metadata: ObjectMeta;
  status?: {
    conditions?: Condition[];
    podName?: string;
    startTime?: string;
    completionTime?: string;
    steps?: { name: string; container: string; terminated?: { exitCode?: number; reason?: string; startedAt?: string; finishedAt?: string }; running?: { startedAt?: string } }[];
  };
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
