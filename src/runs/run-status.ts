import type { Condition, PipelineRun, TaskRun } from "../kube/tekton-types.js";

/**
 * Where a run is, in words a reviewer understands. The first three exist before Tekton has the run;
 * `deleted` is a run removed from the cluster before it finished.
 */
export type RunState =
  | "creating"
  | "waiting-for-cluster"
  | "create-failed"
  | "pending"
  | "queued"
  | "running"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "timed-out"
  | "deleted";

export const finishedStates: ReadonlySet<RunState> = new Set(["create-failed", "succeeded", "failed", "cancelled", "timed-out", "deleted"]);

export interface TaskStatus {
  name: string;
  taskRun: string;
  state: "pending" | "running" | "succeeded" | "failed" | "cancelled" | "skipped";
  reason?: string;
  podName?: string;
  startedAt?: string;
  completedAt?: string;
  steps: { name: string; container: string; state: "waiting" | "running" | "succeeded" | "failed"; exitCode?: number; startedAt?: string; finishedAt?: string }[];
}

export interface RunStatus {
  state: RunState;
  reason?: string;
  message?: string;
  startedAt?: string;
  completedAt?: string;
  results: { name: string; value: string }[];
}

const succeeded = (conditions?: Condition[]) => conditions?.find((c) => c.type === "Succeeded");

/** Tekton's `Succeeded` condition and its reasons (tekton.md) mapped to a RunState. */
export function pipelineRunStatus(run: PipelineRun): RunStatus {
  const condition = succeeded(run.status?.conditions);
  const results = (run.status?.results ?? []).map((r) => ({ name: r.name, value: typeof r.value === "string" ? r.value : JSON.stringify(r.value) }));
  const base = { reason: condition?.reason, message: condition?.message, startedAt: run.status?.startTime, completedAt: run.status?.completionTime, results };
  return { ...base, state: stateOf(run, condition) };
}

function stateOf(run: PipelineRun, condition: Condition | undefined): RunState {
  if (!condition) return run.spec.status === "PipelineRunPending" ? "pending" : "queued";
  if (condition.status === "True") return "succeeded";
  if (condition.status === "False") {
    if (condition.reason === "Cancelled" || condition.reason === "StoppedRunFinally" || condition.reason === "CancelledRunFinally") return "cancelled";
    if (condition.reason === "PipelineRunTimeout") return "timed-out";
    return "failed";
  }
  if (condition.reason === "PipelineRunPending") return "pending";
  if (condition.reason === "ResolvingPipelineRef") return "queued";
  return "running";
}

export function taskStatuses(taskRuns: TaskRun[]): TaskStatus[] {
  return taskRuns
    .map((tr): TaskStatus => {
      const condition = succeeded(tr.status?.conditions);
      return {
        name: tr.metadata.labels?.["tekton.dev/pipelineTask"] ?? tr.metadata.name,
        taskRun: tr.metadata.name,
        state: taskState(condition),
        reason: condition?.reason,
        podName: tr.status?.podName,
        startedAt: tr.status?.startTime,
        completedAt: tr.status?.completionTime,
        steps: (tr.status?.steps ?? []).map((s) => ({
          name: s.name,
          container: s.container,
          state: s.terminated ? (s.terminated.exitCode === 0 ? "succeeded" : "failed") : s.running ? "running" : "waiting",
          exitCode: s.terminated?.exitCode,
          startedAt: s.terminated?.startedAt ?? s.running?.startedAt,
          finishedAt: s.terminated?.finishedAt,
        })),
      };
    })
    .sort((a, b) => (a.startedAt ?? "~").localeCompare(b.startedAt ?? "~") || a.name.localeCompare(b.name));
}

function taskState(condition: Condition | undefined): TaskStatus["state"] {
  if (!condition) return "pending";
  if (condition.status === "True") return "succeeded";
  if (condition.status === "False") {
    if (condition.reason === "TaskRunCancelled") return "cancelled";
    return "failed";
  }
  return "running";
}
