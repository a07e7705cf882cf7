import type { CiRun, Plan, PlanInput, Planner, PrRef, ReadyPr, RunFailure, Unit } from "./pool-types.js";

/**
 * mario's queue strategy, a pure function of the pool's state (so the live driver and the benchmark run the same
 * decisions):
 *
 * - Ready PRs form batches ("units") in a line. The run of unit i tests a staging commit of the base plus every
 *   unit up to i, so up to C runs are in flight at once (speculation, as Zuul and GitHub's merge queue do).
 * - A passing run merges everything it tested, even when runs ahead of it are still pending: its staging commit
 *   was exactly the base plus those PRs, so nothing merges untested.
 * - A failing run whose prefix already merged is split in halves, tested first (bors' bisection); when the first
 *   half passes, the second is known bad and split again without a run. A PR leaves the queue only when a run of
 *   it alone (on the base, with only merged PRs below it) failed.
 * - Runs behind a failure contain it, so they are stopped at once instead of burning CI on a known failure.
 * - Batch size adapts to the failure rate seen so far and to the backlog, so C runs are used.
 */
export const planMario: Planner = (input) => {
  const { state, ready, maxInFlight, maxBatchSize } = input;
  const readyBy = new Map(ready.map((p) => [p.number, p]));
  const isReady = (p: PrRef) => readyBy.get(p.number)?.sha === p.sha;
  const plan: Plan = { units: [], runs: [], cancel: [], start: [], eject: [], notes: [] };
  const mergedEver = new Set(Object.values(state.lineage).flatMap((l) => l.prs));

  // 1. PRs that left the pool or were pushed leave their batches.
  let units: Unit[] = state.units.map((u) => ({ ...u, prs: u.prs.filter(isReady) })).filter((u) => u.prs.length > 0);

  // 2. Runs that no longer test what would merge are stopped.
  const live: { run: CiRun; rest: PrRef[] }[] = [];
  for (const run of state.runs) {
    const reason = runInvalidReason(input, run, isReady);
    if (typeof reason === "string") plan.cancel.push({ run, reason });
    else live.push({ run, rest: reason.rest });
  }

  // 3. The deepest passing run merges everything it tested.
  const passed = live.filter((l) => l.run.state === "passed" && l.rest.length > 0).sort((a, b) => b.rest.length - a.rest.length)[0];
  if (passed) {
    plan.units = units;
    plan.runs = live.map((l) => l.run);
    plan.merge = { runId: passed.run.id, prs: passed.rest };
    return plan;
  }

  // 4. Failures: bisect batches whose prefix merged; a half known to fail is split again without a run. Deduction
  //    only decides what is tested next: a PR leaves the queue only after a run of it alone failed.
  let blockedAt = Number.POSITIVE_INFINITY;
  const consumed = new Set<string>();
  for (let guard = 0; guard < 64; guard++) {
    const first = units[0];
    if (!first) break;
    const run = live.find((l) => l.run.unitId === first.id && l.run.state === "failed" && sameStack(l.rest, first.prs));
    const deduced =
      first.prs.length > 1 &&
      (first.bad || (first.suspectOf !== undefined && first.suspectPrs !== undefined && !units.some((u) => u.id === first.suspectOf) && first.suspectPrs.every((n) => mergedEver.has(n))));
    if (!run && !deduced) break;
    const failure = run?.run.failure ?? first.failure ?? unknownFailure;
    if (run) consumed.add(run.run.id);
    units = units.slice(1);
    units = units.map((u) => (u.suspectOf === first.id ? { ...u, suspectOf: undefined, suspectPrs: undefined } : u));
    if (first.prs.length === 1) {
      plan.eject.push({ pr: first.prs[0]!, failure, reason: "failed alone" });
    } else {
      const half = Math.ceil(first.prs.length / 2);
      const h1: Unit = { id: `${first.id}a`, prs: first.prs.slice(0, half), bisect: true };
      const h2: Unit = { id: `${first.id}b`, prs: first.prs.slice(half), bisect: true, suspectOf: h1.id, suspectPrs: h1.prs.map((p) => p.number), failure };
      units = [h1, h2, ...units];
      plan.notes.push({ action: "split", prs: first.prs.map((p) => p.number), detail: `batch failed (${failure.context}); testing #${h1.prs.map((p) => p.number).join(", #")} first` });
    }
  }
  // A failure behind an unresolved prefix: wait for the runs ahead; nothing behind it can pass.
  units.forEach((u, i) => {
    if (live.some((l) => l.run.unitId === u.id && l.run.state === "failed" && !consumed.has(l.run.id))) blockedAt = Math.min(blockedAt, i);
  });

  // 5. New batches from ready PRs not yet in line. Priority PRs go ahead of batches not yet started.
  const inLine = new Set(units.flatMap((u) => u.prs.map((p) => p.number)));
  const ejected = new Set(plan.eject.map((e) => e.pr.number));
  // A merged PR never comes back, whatever a stale payload said.
  const candidates = ready.filter((p) => !inLine.has(p.number) && !ejected.has(p.number) && !mergedEver.has(p.number));
  if (candidates.length > 0) {
    const pending = live.filter((l) => l.run.state === "pending" && !consumed.has(l.run.id)).length;
    const free = Math.max(1, maxInFlight - pending);
    const size = batchSize(state.stats, maxBatchSize, candidates.length, free);
    const conflictsWith = (p: PrRef, others: PrRef[]) =>
      state.conflicts.some((c) => (samePr(c.a, p) && others.some((o) => samePr(c.b, o))) || (samePr(c.b, p) && others.some((o) => samePr(c.a, o))));
    const urgent = candidates.filter((p) => p.priority < normalPriority);
    const normal = candidates.filter((p) => p.priority >= normalPriority);
    const started = (u: Unit) => u.bisect || live.some((l) => l.run.unitId === u.id);
    let at = 0;
    while (at < units.length && started(units[at]!)) at++;
    const form = (list: ReadyPr[], ahead: () => PrRef[]): Unit[] => {
      const out: Unit[] = [];
      let current: PrRef[] = [];
      for (const p of list) {
        const pr = { number: p.number, sha: p.sha };
        if (conflictsWith(pr, [...ahead(), ...out.flatMap((u) => u.prs), ...current])) continue;
        current.push(pr);
        if (current.length >= size) {
          out.push({ id: `u${state.nextId + out.length}`, prs: current });
          current = [];
        }
      }
      if (current.length > 0) out.push({ id: `u${state.nextId + out.length}`, prs: current });
      return out;
    };
    const urgentUnits = form(urgent, () => units.flatMap((u) => u.prs));
    state.nextId += urgentUnits.length;
    units = [...units.slice(0, at), ...urgentUnits, ...units.slice(at)];
    const normalUnits = form(normal, () => units.flatMap((u) => u.prs));
    state.nextId += normalUnits.length;
    units = [...units, ...normalUnits];
  }

  const keptRuns = live.filter((l) => !consumed.has(l.run.id));
  // 6. Runs that no longer match the line (a batch ahead was split) are stopped.
  const stacks = stackOf(units);
  const runs: CiRun[] = [];
  for (const { run, rest } of keptRuns) {
    const expected = run.unitId ? stacks.get(run.unitId) : undefined;
    const index = units.findIndex((u) => u.id === run.unitId);
    if (!expected || !sameStack(rest, expected)) plan.cancel.push({ run, reason: "a batch ahead of it changed" });
    else if (run.state === "pending" && index > blockedAt) plan.cancel.push({ run, reason: "a run ahead of it failed" });
    else runs.push(run);
  }

  // 7. Nothing in flight and the first PR's own checks ran on this base: merge it, no retest needed.
  const head = units[0];
  if (runs.length === 0 && head && head.prs.length >= 1 && readyBy.get(head.prs[0]!.number)?.fresh) {
    plan.units = units;
    plan.runs = runs;
    plan.merge = { prs: [head.prs[0]!] };
    return plan;
  }

  // 8. Start runs for the batches in line, up to C in flight, each stacked on the one ahead.
  let inFlight = runs.filter((r) => r.state === "pending").length;
  let previous: CiRun | undefined;
  for (const [i, unit] of units.entries()) {
    if (i >= blockedAt) break;
    const own = runs.find((r) => r.unitId === unit.id);
    if (own) {
      previous = own;
      continue;
    }
    if (inFlight >= maxInFlight) break;
    plan.start.push({ unitId: unit.id, prs: stacks.get(unit.id)!, stackOn: previous?.sha });
    inFlight++;
    previous = undefined; // the new run's staging commit is not known yet
  }
  plan.units = units;
  plan.runs = runs;
  return plan;
};

export const normalPriority = 1_000_000;
const unknownFailure: RunFailure = { context: "CI", description: "failed", url: "" };

const samePr = (a: PrRef, b: PrRef) => a.number === b.number && a.sha === b.sha;
const sameStack = (a: PrRef[], b: PrRef[]) => a.length === b.length && a.every((p, i) => samePr(p, b[i]!));

function stackOf(units: Unit[]): Map<string, PrRef[]> {
  const out = new Map<string, PrRef[]>();
  let stack: PrRef[] = [];
  for (const u of units) {
    stack = [...stack, ...u.prs];
    out.set(u.id, stack);
  }
  return out;
}

/**
 * Batch size: about 0.35/p PRs (the bisection optimum in merge-queues.md), p estimated from this pool's history
 * with a prior of 5 %, but small enough that the backlog fills every free CI slot.
 */
export function batchSize(stats: { merged: number; ejected: number }, max: number, candidates: number, free: number): number {
  const p = (stats.ejected + 1) / (stats.merged + stats.ejected + 20);
  const byRate = Math.max(1, Math.round(0.35 / p));
  const bySlots = Math.max(1, Math.ceil(candidates / free));
  return Math.max(1, Math.min(max, byRate, bySlots));
}

/** PRs merged on the base since `from` (oldest first), or undefined when the base moved in a way mario did not. */
export function mergedSince(lineage: Record<string, { from: string; prs: number[] }>, current: string, from: string): number[] | undefined {
  const out: number[] = [];
  let sha = current;
  for (let i = 0; i < 10_000 && sha !== from; i++) {
    const step = lineage[sha];
    if (!step) return undefined;
    out.unshift(...step.prs);
    sha = step.from;
  }
  return sha === from ? out : undefined;
}

/** Why a run no longer tests what would merge, or the PRs of it not merged yet. */
export function runInvalidReason(input: PlanInput, run: CiRun, isReady: (p: PrRef) => boolean): string | { rest: PrRef[] } {
  const merged = mergedSince(input.state.lineage, input.baseSha, run.baseSha);
  if (!merged) return "the base branch moved";
  const numbers = run.prs.map((p) => p.number);
  if (!merged.every((n) => numbers.includes(n))) return "the base branch moved";
  const rest = run.prs.filter((p) => !merged.includes(p.number));
  const gone = rest.find((p) => !isReady(p));
  if (gone) return `#${gone.number} left the queue or was pushed to`;
  return { rest };
}
