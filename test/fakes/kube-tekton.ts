/**
 * Plays Tekton's controller (and the cluster's garbage collector) on top of the store, so tests can drive
 * PipelineRuns through their life: start (TaskRuns + pods), finish tasks, finish runs, cancel, delete.
 *
 * Reactions to API writes, as Tekton v1 does them:
 * - created with `spec.status: PipelineRunPending` → condition Unknown/PipelineRunPending (a MODIFIED after ADDED);
 *   `startRun` while pending is remembered and applied once `spec.status` is cleared (condition Unknown/Started).
 * - `spec.status` set to Cancelled / CancelledRunFinally / StoppedRunFinally on an unfinished run → TaskRuns
 *   False/TaskRunCancelled, their pods deleted, the run False/Cancelled `PipelineRun "x" was cancelled`.
 * - an object deleted → everything whose ownerReferences point at it is deleted too (PipelineRun → TaskRuns → pods).
 *
 * Names follow Tekton: TaskRun `<run>-<pipelineTask>`, pod `<taskRun>-pod`, step container `step-<step>`
 * (`step-unnamed-<i>` for an unnamed step).
 */

import { kubeTime, type KubeObject, type OwnerReference } from "./kube-resources.js";
import type { KubeStore, StoreEvent } from "./kube-store.js";

export interface SimTask {
  name: string;
  /** Step names; default: one step named after the task. */
  steps?: string[];
}

export interface RunOutcome {
  status: "True" | "False";
  reason: string;
  message?: string;
  results?: { name: string; value: string }[];
}

type TaskEnd = "Succeeded" | "Failed" | "Cancelled" | "Timeout";

export const PENDING = "PipelineRunPending";
export const CANCEL_STATES = new Set(["Cancelled", "CancelledRunFinally", "StoppedRunFinally"]);
const STEP_IMAGE = "registry.invalid/fake-step:latest";

export function succeededCondition(obj: KubeObject | undefined): { status?: string; reason?: string } | undefined {
  const conditions: unknown = obj?.status?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  return conditions.find((c: { type?: string }) => c.type === "Succeeded");
}

export function isDone(obj: KubeObject | undefined): boolean {
  const status = succeededCondition(obj)?.status;
  return status === "True" || status === "False";
}

function condition(status: string, reason: string, message: string) {
  return { type: "Succeeded", status, reason, message, lastTransitionTime: kubeTime() };
}

function ownerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion ?? "",
    kind: owner.kind ?? "",
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

function stepNames(task: SimTask): string[] {
  return (task.steps ?? [task.name]).map((s, i) => (s === "" ? `unnamed-${i}` : s));
}

/** Tasks declared in an inline `spec.pipelineSpec`, if any. */
function tasksFromSpec(run: KubeObject): SimTask[] | undefined {
  const tasks: unknown = run.spec?.pipelineSpec?.tasks;
  if (!Array.isArray(tasks) || tasks.length === 0) return undefined;
  return tasks.map((t: { name: string; taskSpec?: { steps?: { name?: string }[] } }) => ({
    name: t.name,
    ...(Array.isArray(t.taskSpec?.steps) ? { steps: t.taskSpec.steps.map((s) => s.name ?? "") } : {}),
  }));
}

export class TektonSim {
  private readonly deferredStarts = new Map<string, SimTask[] | undefined>();

  constructor(private readonly store: KubeStore) {
    store.onEvent((event) => {
      this.collectGarbage(event);
      if (event.resource === "pipelineruns") this.reactToRun(event);
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Test-facing operations

  startRun(ns: string, name: string, opts?: { tasks?: SimTask[] }): void {
    const run = this.mustGetRun(ns, name);
    if (run.spec?.status === PENDING) {
      this.deferredStarts.set(`${ns}/${name}`, opts?.tasks);
      return;
    }
    if (isDone(run)) throw new Error(`fake-kube: PipelineRun ${ns}/${name} has already finished`);
    const tasks = opts?.tasks ?? tasksFromSpec(run) ?? [{ name: "build" }];
    const now = kubeTime();
    const refs: { apiVersion: string; kind: string; name: string; pipelineTaskName: string }[] = [];
    for (const task of tasks) {
      const taskRunName = `${name}-${task.name}`;
      refs.push({ apiVersion: "tekton.dev/v1", kind: "TaskRun", name: taskRunName, pipelineTaskName: task.name });
      if (!this.store.exists("taskruns", ns, taskRunName)) this.createTaskRun(run, task, taskRunName, now);
    }
    this.store.update("pipelineruns", ns, name, (obj) => {
      const status = (obj.status ??= {});
      status.startTime ??= now;
      const existing: { name: string }[] = status.childReferences ?? [];
      status.childReferences = [...existing, ...refs.filter((r) => !existing.some((e) => e.name === r.name))];
      status.conditions = [condition("Unknown", "Running", this.progressMessage(ns, name, false))];
    });
  }

  finishTask(ns: string, runName: string, task: string, outcome: "Succeeded" | "Failed"): void {
    const taskRun = this.taskRunsOf(ns, runName).find((tr) => tr.metadata.labels?.["tekton.dev/pipelineTask"] === task);
    if (!taskRun) throw new Error(`fake-kube: no TaskRun for task "${task}" of PipelineRun ${ns}/${runName}`);
    if (isDone(taskRun)) throw new Error(`fake-kube: TaskRun ${ns}/${taskRun.metadata.name} has already finished`);
    this.endTaskRun(taskRun, outcome);
    const run = this.store.get("pipelineruns", ns, runName);
    if (run && !isDone(run) && succeededCondition(run)?.reason === "Running") {
      this.store.update("pipelineruns", ns, runName, (obj) => {
        obj.status.conditions = [condition("Unknown", "Running", this.progressMessage(ns, runName, false))];
      });
    }
  }

  finishRun(ns: string, name: string, outcome: RunOutcome): void {
    const run = this.mustGetRun(ns, name);
    if (isDone(run)) throw new Error(`fake-kube: PipelineRun ${ns}/${name} has already finished`);
    const end: TaskEnd =
      outcome.status === "True"
        ? "Succeeded"
        : outcome.reason === "Cancelled"
          ? "Cancelled"
          : outcome.reason === "PipelineRunTimeout"
            ? "Timeout"
            : "Failed";
    this.completeRun(ns, name, end, outcome);
  }

  deletePods(ns: string, runName?: string): void {
    for (const pod of this.store.list("pods", ns)) {
      if (runName === undefined || pod.metadata.labels?.["tekton.dev/pipelineRun"] === runName) {
        this.store.delete("pods", ns, pod.metadata.name);
      }
    }
  }

  deletePipelineRun(ns: string, name: string): void {
    if (!this.store.delete("pipelineruns", ns, name)) throw new Error(`fake-kube: no PipelineRun ${ns}/${name}`);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Controller reactions

  private reactToRun(event: StoreEvent): void {
    const { namespace = "", name } = event.object.metadata;
    const key = `${namespace}/${name}`;
    if (event.type === "DELETED") {
      this.deferredStarts.delete(key);
      return;
    }
    if (isDone(event.object)) return;
    const now: unknown = event.object.spec?.status;
    const before: unknown = event.type === "ADDED" ? undefined : event.previous?.spec?.status;
    if (now === before) return;
    if (typeof now === "string" && CANCEL_STATES.has(now)) {
      this.completeRun(namespace, name, "Cancelled", {
        status: "False",
        reason: "Cancelled",
        message: `PipelineRun "${name}" was cancelled`,
      });
    } else if (now === PENDING) {
      this.store.update("pipelineruns", namespace, name, (obj) => {
        (obj.status ??= {}).conditions = [condition("Unknown", PENDING, `PipelineRun "${name}" is pending`)];
      });
    } else if (before === PENDING) {
      this.store.update("pipelineruns", namespace, name, (obj) => {
        const status = (obj.status ??= {});
        status.startTime ??= kubeTime();
        status.conditions = [condition("Unknown", "Started", "")];
      });
      if (this.deferredStarts.has(key)) {
        const tasks = this.deferredStarts.get(key);
        this.deferredStarts.delete(key);
        this.startRun(namespace, name, tasks ? { tasks } : undefined);
      }
    }
  }

  /** Deletes what the deleted object owned, like the garbage collector with background propagation. */
  private collectGarbage(event: StoreEvent): void {
    if (event.type !== "DELETED") return;
    const uid = event.object.metadata.uid;
    for (const resource of ["taskruns", "pods"] as const) {
      for (const obj of this.store.list(resource)) {
        if (obj.metadata.ownerReferences?.some((ref) => ref.uid === uid)) {
          this.store.delete(resource, obj.metadata.namespace, obj.metadata.name);
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Helpers

  private mustGetRun(ns: string, name: string): KubeObject {
    const run = this.store.get("pipelineruns", ns, name);
    if (!run) throw new Error(`fake-kube: no PipelineRun ${ns}/${name}`);
    return run;
  }

  private taskRunsOf(ns: string, runName: string): KubeObject[] {
    return this.store.list("taskruns", ns).filter((tr) => tr.metadata.labels?.["tekton.dev/pipelineRun"] === runName);
  }

  private completeRun(ns: string, name: string, end: TaskEnd, outcome: RunOutcome): void {
    this.deferredStarts.delete(`${ns}/${name}`);
    for (const taskRun of this.taskRunsOf(ns, name)) {
      if (!isDone(taskRun)) this.endTaskRun(taskRun, end);
    }
    const now = kubeTime();
    this.store.update("pipelineruns", ns, name, (obj) => {
      const status = (obj.status ??= {});
      status.startTime ??= now;
      status.completionTime = now;
      status.conditions = [condition(outcome.status, outcome.reason, outcome.message ?? this.progressMessage(ns, name, true))];
      if (outcome.results) status.results = outcome.results;
    });
  }

  private progressMessage(ns: string, runName: string, done: boolean): string {
    const taskRuns = this.taskRunsOf(ns, runName);
    const reasons = taskRuns.map((tr) => succeededCondition(tr));
    const completed = reasons.filter((c) => c?.status === "True" || c?.status === "False").length;
    const cancelled = reasons.filter((c) => c?.reason === "TaskRunCancelled").length;
    const failed = reasons.filter((c) => c?.status === "False").length - cancelled;
    const counts = `Tasks Completed: ${completed} (Failed: ${failed}, Cancelled ${cancelled})`;
    return done ? `${counts}, Skipped: 0` : `${counts}, Incomplete: ${taskRuns.length - completed}, Skipped: 0`;
  }

  private createTaskRun(run: KubeObject, task: SimTask, taskRunName: string, now: string): void {
    const ns = run.metadata.namespace ?? "";
    const steps = stepNames(task);
    const podName = `${taskRunName}-pod`;
    const tektonLabels = {
      "app.kubernetes.io/managed-by": "tekton-pipelines",
      "tekton.dev/pipelineRun": run.metadata.name,
      "tekton.dev/pipelineTask": task.name,
    };
    const taskRun = this.store.create("taskruns", {
      metadata: {
        name: taskRunName,
        namespace: ns,
        labels: { ...run.metadata.labels, ...tektonLabels, "tekton.dev/memberOf": "tasks" },
        annotations: { ...run.metadata.annotations },
        ownerReferences: [ownerRef(run)],
      },
      spec: { serviceAccountName: "default", timeout: "1h0m0s", taskRef: { kind: "Task", name: task.name } },
      status: {
        podName,
        startTime: now,
        conditions: [condition("Unknown", "Running", "Not all Steps in the Task have finished executing")],
        steps: steps.map((s) => ({ name: s, container: `step-${s}`, running: { startedAt: now } })),
      },
    });
    this.store.create("pods", {
      metadata: {
        name: podName,
        namespace: ns,
        labels: { ...run.metadata.labels, ...tektonLabels, "tekton.dev/taskRun": taskRunName },
        ownerReferences: [ownerRef(taskRun)],
      },
      spec: {
        restartPolicy: "Never",
        serviceAccountName: "default",
        containers: steps.map((s) => ({ name: `step-${s}`, image: STEP_IMAGE })),
      },
      status: {
        phase: "Running",
        startTime: now,
        containerStatuses: steps.map((s) => ({
          name: `step-${s}`,
          image: STEP_IMAGE,
          imageID: "",
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        })),
      },
    });
  }

  private endTaskRun(taskRun: KubeObject, end: TaskEnd): void {
    const ns = taskRun.metadata.namespace ?? "";
    const name = taskRun.metadata.name;
    const now = kubeTime();
    const steps: { name: string; container: string; running?: { startedAt: string } }[] = taskRun.status?.steps ?? [];
    const lastContainer = steps[steps.length - 1]?.container ?? "step";
    const terminated = (i: number) => {
      const failedHere = end !== "Succeeded" && i === steps.length - 1;
      return {
        exitCode: failedHere ? 1 : 0,
        reason: !failedHere ? "Completed" : end === "Failed" ? "Error" : end === "Cancelled" ? "TaskRunCancelled" : "TaskRunTimeout",
        startedAt: steps[i]?.running?.startedAt ?? now,
        finishedAt: now,
      };
    };
    const conditionFor = {
      Succeeded: condition("True", "Succeeded", "All Steps have completed executing"),
      Failed: condition("False", "Failed", `"${lastContainer}" exited with code 1`),
      Cancelled: condition(
        "False",
        "TaskRunCancelled",
        `TaskRun "${name}" was cancelled. TaskRun cancelled as the PipelineRun it belongs to has been cancelled.`,
      ),
      Timeout: condition("False", "TaskRunTimeout", `TaskRun "${name}" failed to finish within "1h0m0s"`),
    }[end];
    this.store.update("taskruns", ns, name, (obj) => {
      obj.status.completionTime = now;
      obj.status.conditions = [conditionFor];
      obj.status.steps = steps.map((s, i) => ({ name: s.name, container: s.container, terminated: terminated(i) }));
    });
    const podName: unknown = taskRun.status?.podName;
    if (typeof podName !== "string") return;
    if (end === "Cancelled" || end === "Timeout") {
      this.store.delete("pods", ns, podName);
      return;
    }
    this.store.update("pods", ns, podName, (pod) => {
      pod.status.phase = end === "Succeeded" ? "Succeeded" : "Failed";
      pod.status.containerStatuses = (pod.status.containerStatuses ?? []).map((c: { name: string }, i: number) => ({
        ...c,
        ready: false,
        started: false,
        state: { terminated: terminated(i) },
      }));
    });
  }
}
