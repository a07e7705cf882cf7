import { createHash } from "node:crypto";
import type { FakeKube } from "../test/fakes/fake-kube.js";

interface Plan {
  tasks: { name: string; steps: string[] }[];
}

/** Which tasks a pipeline has in the simulation (the real ones come from config/tekton/). */
function planFor(run: { spec?: { pipelineRef?: { name?: string } } }): Plan {
  if (run.spec?.pipelineRef?.name === "mario-build-image") return { tasks: [{ name: "fetch", steps: ["clone"] }, { name: "build", steps: ["build-and-push"] }] };
  return { tasks: [{ name: "fetch", steps: ["clone"] }, { name: "test", steps: ["unit"] }] };
}

const param = (run: { spec?: { params?: { name: string; value: string }[] } }, name: string) => run.spec?.params?.find((p) => p.name === name)?.value;

/**
 * Plays Tekton's controller in the sandbox: every PipelineRun mario creates starts after a moment, writes task
 * logs line by line, and finishes — failing when any of its params contains "fail", so a newcomer can see both.
 * Every line it writes says it is simulated.
 */
export function simulateTekton(kube: FakeKube, opts: { stepMs?: number } = {}): { stop(): void } {
  const stepMs = opts.stepMs ?? 700;
  const timers = new Set<NodeJS.Timeout>();
  const started = new Set<string>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      try {
        fn();
      } catch {
        // The run was cancelled or deleted meanwhile: nothing left to simulate.
      }
    }, ms);
    timers.add(t);
  };

  kube.onEvent((event) => {
    if (event.resource !== "pipelineruns" || event.type === "DELETED") return;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const run = event.object as any;
    const ns: string = run.metadata.namespace;
    const name: string = run.metadata.name;
    if (started.has(`${ns}/${name}`) || run.spec?.status === "PipelineRunPending" || run.status?.conditions?.length) return;
    started.add(`${ns}/${name}`);
    const plan = planFor(run);
    const fail = (run.spec?.params ?? []).some((p: { value: string }) => String(p.value).includes("fail"));
    later(stepMs, () => {
      kube.startRun(ns, name, { tasks: plan.tasks });
      let t = 0;
      for (const [i, task] of plan.tasks.entries()) {
        const tr = kube.taskRuns(ns).find((x) => x.metadata.labels?.["tekton.dev/pipelineRun"] === name && x.metadata.labels?.["tekton.dev/pipelineTask"] === task.name);
        const pod: string = tr?.status?.podName;
        for (const step of task.steps) {
          const lines = [`[simulated] ${task.name}/${step} starting`, `[simulated] working on ${param(run, "GIT_REVISION")?.slice(0, 12) ?? "the commit"}…`];
          if (fail && i === plan.tasks.length - 1) lines.push(`src/main.ts:3:7: error: simulated failure (a param contains "fail")`);
          else lines.push(`[simulated] ${task.name}/${step} done`);
          for (const line of lines) later((t += stepMs / 2), () => kube.appendLog(ns, pod, `step-${step}`, line));
        }
        const outcome = fail && i === plan.tasks.length - 1 ? "Failed" : "Succeeded";
        later((t += stepMs), () => kube.finishTask(ns, name, task.name, outcome));
      }
      later((t += stepMs), () => {
        const image = param(run, "IMAGE");
        kube.finishRun(ns, name, fail
          ? { status: "False", reason: "Failed", message: "Tasks Completed: 2 (Failed: 1, Cancelled 0), Skipped: 0 [simulated]" }
          : { status: "True", reason: "Succeeded", results: image ? [{ name: "IMAGE_URL", value: image }, { name: "IMAGE_DIGEST", value: `sha256:${createHash("sha256").update(name).digest("hex")}` }] : [] });
      });
    });
  });
  return { stop: () => timers.forEach((t) => clearTimeout(t)) };
}
