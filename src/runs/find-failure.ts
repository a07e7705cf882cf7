import type { TektonPort } from "../kube/tekton-port.js";
import type { RunFailure, RunRecord } from "./run-record.js";

const tailLines = 30;

/** The failing task and step of a finished run, with the last lines of that step's log. */
export async function findFailure(tekton: TektonPort, run: RunRecord): Promise<RunFailure | undefined> {
  const task = run.tasks.find((t) => t.state === "failed");
  if (!task) return undefined;
  const step = task.steps.find((s) => s.state === "failed") ?? task.steps.at(-1);
  if (!task.podName || !step) return { task: task.name, step: step?.name, logTail: [], note: "The task has no pod, so there is no log to show." };
  const log = await tekton.readLog(run.meta.namespace, task.podName, step.container, { tailLines, limitBytes: 64 * 1024 });
  if (log === undefined) return { task: task.name, step: step.name, logTail: [], note: "The pod was deleted before its log could be read." };
  const lines = log.replace(/\n$/, "").split("\n");
  return { task: task.name, step: step.name, logTail: lines.slice(-tailLines).map((l) => l.slice(0, 500)) };
}
