/**
 * The two baselines of `npm run bench:queue`, as planners over the same pool state as mario's (so the same driver,
 * staging commits and GitHub calls carry them out):
 * - serial: test the first ready PR alone on the current base, merge it if it passes, drop it if it fails.
 * - tide: Tide's sync (pkg/tide): merge a passed batch; else merge a PR that passed alone; start a batch of the
 *   oldest ready PRs (up to the batch limit) when none is pending; keep one single-PR retest running. A failed
 *   batch is dropped, not bisected; a PR that fails alone leaves the pool.
 */
import { runInvalidReason } from "../src/merge-queue/plan-pool.js";
import type { CiRun, Plan, Planner, PrRef } from "../src/merge-queue/pool-types.js";

function validate(input: Parameters<Planner>[0], plan: Plan) {
  const readyBy = new Map(input.ready.map((p) => [p.number, p.sha]));
  const live: { run: CiRun; rest: PrRef[] }[] = [];
  for (const run of input.state.runs) {
    const r = runInvalidReason(input, run, (p) => readyBy.get(p.number) === p.sha);
    if (typeof r === "string") plan.cancel.push({ run, reason: r });
    else if (r.rest.length > 0) live.push({ run, rest: r.rest });
  }
  return live;
}

const pr = (p: PrRef): PrRef => ({ number: p.number, sha: p.sha });

export const planSerial: Planner = (input) => {
  const plan: Plan = { units: [], runs: [], cancel: [], start: [], eject: [], notes: [] };
  const live = validate(input, plan);
  const run = live[0];
  if (run?.run.state === "passed") return { ...plan, merge: { runId: run.run.id, prs: run.rest } };
  if (run?.run.state === "failed") {
    plan.eject.push({ pr: run.rest[0]!, failure: run.run.failure!, reason: "failed alone" });
    return plan;
  }
  if (run) return { ...plan, runs: [run.run] };
  const first = input.ready[0];
  if (first) plan.start.push({ prs: [pr(first)], single: true });
  return plan;
};

export function planTide(batchLimit: number): Planner {
  return (input) => {
    const plan: Plan = { units: [], runs: [], cancel: [], start: [], eject: [], notes: [] };
    const live = validate(input, plan);
    const batch = live.find((l) => !l.run.single);
    const single = live.find((l) => l.run.single);
    if (batch?.run.state === "passed") return { ...plan, runs: live.map((l) => l.run), merge: { runId: batch.run.id, prs: batch.rest } };
    const batchPending = batch?.run.state === "pending";
    if (single?.run.state === "passed" && !batchPending) return { ...plan, runs: live.map((l) => l.run), merge: { runId: single.run.id, prs: single.rest } };
    const runs: CiRun[] = [];
    for (const l of live) {
      if (l.run.state !== "failed") runs.push(l.run);
      else if (l.run.single) plan.eject.push({ pr: l.rest[0]!, failure: l.run.failure!, reason: "failed alone" });
      else plan.notes.push({ action: "failed", prs: l.rest.map((p) => p.number), detail: "batch dropped (Tide does not bisect)" });
    }
    plan.runs = runs;
    const ejected = new Set(plan.eject.map((e) => e.pr.number));
    const ready = input.ready.filter((p) => !ejected.has(p.number)).sort((a, b) => a.readyAt - b.readyAt || a.number - b.number);
    if (!runs.some((r) => !r.single) && ready.length >= 2) plan.start.push({ prs: ready.slice(0, batchLimit).map(pr) });
    if (!runs.some((r) => r.single) && ready[0]) plan.start.push({ prs: [pr(ready[0])], single: true });
    return plan;
  };
}
