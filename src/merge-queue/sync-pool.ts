import type { ContextResult, GitHubPort, PullRequestInfo, RepoRef } from "../github/github-port.js";
import type { MarioConfig } from "../config/config-schema.js";
import { codeSpan } from "../text/markdown.js";
import { mergePr } from "./merge-pr.js";
import { mergedSince, normalPriority } from "./plan-pool.js";
import type { HistoryEntry, PoolStore, PoolView } from "./pool-store.js";
import { type CiRun, type Plan, type Planner, type PoolKey, type PoolState, type PrRef, type ReadyPr, poolId } from "./pool-types.js";
import { evaluatePr, runOutcome, statusText, type Readiness } from "./pr-readiness.js";
import type { QueueCi } from "./queue-ci.js";

export const statusContext = "mario/merge-queue";

export interface SyncDeps {
  github: GitHubPort;
  ci: QueueCi;
  store: PoolStore;
  config: Pick<MarioConfig, "mergeQueue" | "review">;
  planner: Planner;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** The driver's lease: checked right before every merge, so a replica that lost it never merges. */
  lease?: { isCurrent(): Promise<boolean> };
  /** Names of mario's required jobs (check runs `mario/<job>`), once lifecycle (src/jobs) provides them. */
  requiredJobs?: (pool: PoolKey) => string[];
  /** Told what a sync did (merges, removals, batch outcomes): metrics and channel notifications. */
  onHistory?: (pool: PoolKey, entries: HistoryEntry[]) => Promise<void> | void;
}

export class LeaseLostError extends Error {
  constructor() {
    super("another replica drives the merge queue now");
    this.name = "LeaseLostError";
  }
}

/**
 * One step of a pool: observe GitHub (branch, open PRs, their checks, results of staging runs), plan, act
 * (cancel, eject, merge, start runs), write statuses that changed, record history. Returns whether it acted, so
 * the driver runs it again until the pool is quiet.
 */
export async function syncPool(deps: SyncDeps, pool: PoolKey, opts: { deep?: boolean } = {}): Promise<{ acted: boolean }> {
  const { github: gh, store } = deps;
  const cfg = deps.config.mergeQueue;
  const labels = deps.config.review.labels;
  const repo: RepoRef = { owner: pool.owner, name: pool.repo };
  const history: HistoryEntry[] = [];
  const note = (action: HistoryEntry["action"], prs: number[], detail: string) => history.push({ at: new Date(deps.now()).toISOString(), action, prs, detail });
  const state = await store.load(pool);
  const finish = async () => {
    await store.save(pool, state);
    await store.addHistory(pool, history, cfg.historySize);
    if (history.length) await deps.onHistory?.(pool, history);
  };

  if (state.stopped) {
    if (!opts.deep) return { acted: false };
    note("stopped", [], "retrying after the pool was stopped");
    state.stopped = undefined;
  }
  // Event-driven: the snapshot kept by webhooks and our own merges; GitHub is read only when there is none or
  // when reconciling.
  const recovering = state.merging !== undefined;
  if (recovering) await recoverMerge(deps, repo, state, note);
  let snapshot = opts.deep || recovering ? undefined : await store.snapshot(pool);
  if (!snapshot) {
    const read = await gh.getBranch(repo, pool.branch);
    if (!read) return { acted: false };
    snapshot = { base: read, prs: await gh.listOpenPullRequests(repo, pool.branch) };
    await store.replaceSnapshot(pool, snapshot.base, snapshot.prs);
  }
  const branch = snapshot.base;
  const required = [...new Set([...cfg.requiredChecks, ...(cfg.fromBranchProtection ? branch.requiredContexts : []), ...(deps.requiredJobs?.(pool) ?? [])])].filter((c) => c !== statusContext);

  const prs = snapshot.prs;
  const byNumber = new Map(prs.map((p) => [p.number, p]));
  const contextsOf = async (sha: string): Promise<ContextResult[]> => {
    const cached = await store.contexts(pool.owner, pool.repo, sha);
    const settled = required.every((name) => cached.results.some((c) => c.context === name && c.state !== "pending"));
    if ((cached.loaded || settled) && !opts.deep) return cached.results;
    const fresh = await gh.getCommitContexts(repo, sha);
    await store.recordContexts(pool.owner, pool.repo, sha, fresh, true);
    // Webhooks that arrived meanwhile win over what the read returned.
    return (await store.contexts(pool.owner, pool.repo, sha)).results;
  };

  // Forget what no longer holds: conflicts and failures of PRs that changed or left.
  const current = (p: PrRef) => byNumber.get(p.number)?.head.sha === p.sha;
  state.conflicts = state.conflicts.filter((c) => current(c.a) && current(c.b));
  for (const [n, f] of Object.entries(state.failed)) if (byNumber.get(Number(n))?.head.sha !== f.sha) delete state.failed[n];

  const readiness = new Map<number, Readiness>();
  const needsRebaseConfig = { ...cfg, needsRebaseLabel: labels.needsRebase };
  await Promise.all(
    prs.map(async (pr) => {
      const cheap = evaluatePr(pr, needsRebaseConfig, [], [], state, branch.sha);
      // Only PRs that pass the label rules cost a read of their checks.
      readiness.set(pr.number, cheap.ready ? evaluatePr(pr, needsRebaseConfig, required, await contextsOf(pr.head.sha), state, branch.sha) : cheap);
    }),
  );
  for (const key of Object.keys(state.readyAt)) {
    const [n, sha] = key.split("@");
    if (!readiness.get(Number(n))?.ready || byNumber.get(Number(n))?.head.sha !== sha) delete state.readyAt[key];
  }
  const ready: ReadyPr[] = prs
    .filter((p) => readiness.get(p.number)?.ready)
    .map((p) => {
      const key = `${p.number}@${p.head.sha}`;
      state.readyAt[key] ??= deps.now();
      const index = cfg.priorityLabels.findIndex((l) => p.labels.some((x) => x.toLowerCase() === l.toLowerCase()));
      return { number: p.number, sha: p.head.sha, priority: index < 0 ? normalPriority : index, readyAt: state.readyAt[key]!, fresh: readiness.get(p.number)!.fresh };
    })
    .sort((a, b) => a.priority - b.priority || a.readyAt - b.readyAt || a.number - b.number);

  // Results of runs in flight.
  for (const run of state.runs) {
    if (run.state !== "pending" || !run.sha) continue;
    // Staging results come by webhook; GitHub is read for them only when reconciling.
    const outcome = runOutcome(required, opts.deep ? await contextsOf(run.sha) : (await store.contexts(pool.owner, pool.repo, run.sha)).results);
    if (outcome.state === "pending" && deps.now() - run.startedAt > cfg.ciTimeoutMinutes * 60_000) {
      run.state = "failed";
      run.failure = { context: outcome.waitingFor[0] ?? "CI", description: `no result after ${cfg.ciTimeoutMinutes} minutes`, url: "" };
    } else if (outcome.state !== "pending") {
      run.state = outcome.state;
      if (outcome.failure) run.failure = { context: outcome.failure.context, description: outcome.failure.description, url: outcome.failure.url };
    }
    if (run.state !== "pending") note(run.state === "passed" ? "passed" : "failed", run.prs.map((p) => p.number), run.failure ? `${run.failure.context}: ${run.failure.description}` : `staging ${run.sha.slice(0, 7)}`);
  }

  const before = [...state.runs];
  const plan = deps.planner({ state, baseSha: branch.sha, ready, maxInFlight: cfg.maxInFlight, maxBatchSize: cfg.maxBatchSize });
  state.baseSha = branch.sha;
  state.units = plan.units;
  state.runs = plan.runs;
  const acted = plan.cancel.length + plan.eject.length + plan.start.length + plan.notes.length > 0 || plan.merge !== undefined;

  for (const { run, reason } of plan.cancel) {
    await deps.ci.cancel(gh, pool, run.id);
    if (run.state === "pending") note("cancelled", run.prs.map((p) => p.number), reason);
  }
  // Finished runs the plan let go of: their staging branches are deleted.
  for (const run of before) if (!plan.runs.includes(run) && !plan.cancel.some((c) => c.run === run) && run.id !== plan.merge?.runId) await deps.ci.cancel(gh, pool, run.id);
  for (const n of plan.notes) note(n.action as HistoryEntry["action"], n.prs, n.detail);
  for (const { pr, failure, reason } of plan.eject) {
    state.failed[String(pr.number)] = { sha: pr.sha, ...failure };
    state.stats.ejected++;
    note("removed", [pr.number], `${failure.context} failed (${reason})`);
    const info = byNumber.get(pr.number);
    const log = failure.url ? ` ([log](${failure.url}))` : "";
    if (info) {
      await gh.createComment(repo, pr.number, `@${info.author}: this PR left the merge queue: job ${codeSpan(failure.context)} failed when tested on top of ${codeSpan(pool.branch)}${log}${failure.description ? ` — ${failure.description}` : ""}. Push a fix and it comes back by itself.`);
      readiness.set(pr.number, { ready: false, fresh: false, state: "failure", description: `Job ${failure.context} failed in the merge queue; push a fix`, url: failure.url });
    }
  }

  let open = prs;
  if (plan.merge) {
    const merged = await mergeBatch(deps, pool, state, plan.merge, byNumber, branch.sha, note, readiness);
    open = prs.filter((p) => !merged.includes(p.number));
  } else {
    await startRuns(deps, pool, state, plan, branch.sha, note, byNumber, readiness);
  }

  await writeStatuses(deps, pool, state, open, readiness, required);
  await finish();
  await store.saveView(renderView(pool, state, open, readiness, deps.now()));
  return { acted };
}

type Note = (action: HistoryEntry["action"], prs: number[], detail: string) => void;

async function startRuns(deps: SyncDeps, pool: PoolKey, state: PoolState, plan: Plan, baseSha: string, note: Note, byNumber: Map<number, PullRequestInfo>, readiness: Map<number, Readiness>): Promise<void> {
  for (const start of plan.start) {
    const unit = state.units.find((u) => u.id === start.unitId);
    const ownCount = unit?.prs.length ?? start.prs.length;
    const prefix = start.prs.slice(0, start.prs.length - ownCount);
    const below = state.runs.find((r) => {
      const merged = r.sha && r.state !== "failed" ? mergedSince(state.lineage, baseSha, r.baseSha) : undefined;
      return merged !== undefined && sameList(r.prs.filter((p) => !merged.includes(p.number)), prefix);
    });
    const id = `r${state.nextId++}`;
    const result = await deps.ci.start(deps.github, pool, { id, baseSha, prs: start.prs, stackOn: below?.sha && prefix.length > 0 ? { sha: below.sha, prs: prefix.length } : undefined });
    if ("conflict" in result) {
      const { conflict } = result;
      if (unit) unit.prs = unit.prs.filter((p) => p.number !== conflict.number);
      state.units = state.units.filter((u) => u.prs.length > 0);
      if (result.with.length === 0) {
        await markConflict(deps, pool, byNumber.get(conflict.number), readiness);
        note("conflict", [conflict.number], `does not merge cleanly into ${pool.branch}`);
      } else {
        for (const other of result.with) state.conflicts.push({ a: conflict, b: other });
        note("conflict", [conflict.number, ...result.with.map((p) => p.number)], `#${conflict.number} conflicts with PRs ahead of it; it waits until they merged`);
      }
      break; // the line changed: plan again
    }
    const run: CiRun = { id, unitId: start.unitId, baseSha, prs: start.prs, sha: result.sha, state: "pending", startedAt: deps.now(), single: start.single };
    state.runs.push(run);
    state.stats.runs++;
    const own = start.prs.slice(prefix.length).map((p) => p.number);
    note(own.length === 1 && prefix.length === 0 ? "retest" : "batch", own, `testing ${start.prs.length} PR(s) on ${baseSha.slice(0, 7)} as ${result.sha.slice(0, 7)}${prefix.length ? ` (on top of ${prefix.length} ahead)` : ""}`);
  }
}

async function markConflict(deps: SyncDeps, pool: PoolKey, pr: PullRequestInfo | undefined, readiness: Map<number, Readiness>): Promise<void> {
  if (!pr) return;
  const repo = { owner: pool.owner, name: pool.repo };
  const label = deps.config.review.labels.needsRebase;
  await deps.github.ensureLabel(repo, { name: label, color: "e11d21", description: "The PR conflicts with its base branch; rebase it." });
  await deps.github.addLabels(repo, pr.number, [label]);
  // The labeled webhook will say the same; until it arrives the snapshot must not offer the PR again.
  await deps.store.putPr(pool, { ...pr, labels: [...pr.labels, label] });
  await deps.github.createComment(repo, pr.number, `@${pr.author}: this PR does not merge cleanly into ${codeSpan(pool.branch)} any more. Rebase it (or merge ${codeSpan(pool.branch)} into it) and remove the ${codeSpan(label)} label; it then comes back to the merge queue.`);
  readiness.set(pr.number, { ready: false, fresh: false, state: "error", description: "Merge conflict: rebase needed" });
}

async function mergeBatch(
  deps: SyncDeps,
  pool: PoolKey,
  state: PoolState,
  merge: NonNullable<Plan["merge"]>,
  byNumber: Map<number, PullRequestInfo>,
  baseSha: string,
  note: Note,
  readiness: Map<number, Readiness>,
): Promise<number[]> {
  if (deps.lease && !(await deps.lease.isCurrent())) throw new LeaseLostError();
  const repo = { owner: pool.owner, name: pool.repo };
  // The intent is stored before the first merge: a crash in between is recovered from GitHub's `merged` state.
  state.merging = { runId: merge.runId, baseSha, prs: merge.prs, done: [], at: deps.now() };
  await deps.store.save(pool, state);
  let base = baseSha;
  for (const pr of merge.prs) {
    const info = byNumber.get(pr.number);
    if (!info) break;
    if (deps.lease && !(await deps.lease.isCurrent())) throw new LeaseLostError();
    await setStatus(deps, pool, pr.number, pr.sha, { state: "success", description: "Merging…" });
    const outcome = await mergePr(deps.github, repo, info, pr.sha, deps.config.mergeQueue, deps.sleep);
    if (outcome.kind === "merged") {
      state.lineage[outcome.sha] = { from: base, prs: [pr.number] };
      base = outcome.sha;
      state.merging.done.push(pr.number);
      await deps.store.removePr(pool, pr.number);
      await deps.store.setBase(pool, outcome.sha);
      state.stats.merged++;
      state.units = state.units.map((u) => ({ ...u, prs: u.prs.filter((p) => p.number !== pr.number) })).filter((u) => u.prs.length > 0);
      delete state.readyAt[`${pr.number}@${pr.sha}`];
      note("merged", [pr.number], `merged as ${outcome.sha.slice(0, 7)}${merge.runId ? ` (tested in ${merge.runId})` : " (its checks ran on this base)"}`);
      await deps.store.save(pool, state);
      continue;
    }
    // The PRs after this one were tested with it: they go back to the queue and are retested without it.
    if (outcome.kind === "unauthorized") {
      state.stopped = { reason: `GitHub refused to merge #${pr.number}: ${outcome.message}`, at: deps.now() };
      note("stopped", [pr.number], `merging stopped: ${outcome.message}. Check the app's permissions (contents: write, pull_requests: write) and branch protection`);
    } else if (outcome.kind === "unmergeable") {
      note("skipped", [pr.number], `not mergeable: ${outcome.message}`);
      await markConflict(deps, pool, info, readiness);
    } else {
      note("skipped", [pr.number], `its head changed since it was tested: ${outcome.message}`);
      const fresh = await deps.github.getPullRequest(repo, pr.number);
      if (fresh) await deps.store.putPr(pool, fresh);
    }
    break;
  }
  const merged = state.merging.done;
  state.merging = undefined;
  pruneLineage(state);
  return merged;
}

/** After a crash between "decided to merge" and "done": GitHub's `merged` flag says what happened; the rest is retested. */
async function recoverMerge(deps: SyncDeps, repo: RepoRef, state: PoolState, note: Note): Promise<void> {
  const intent = state.merging!;
  for (const pr of intent.prs) {
    if (intent.done.includes(pr.number)) continue;
    const info = await deps.github.getPullRequest(repo, pr.number);
    if (info?.merged) {
      state.stats.merged++;
      note("merged", [pr.number], "merged before a restart (recovered from GitHub)");
    }
  }
  state.merging = undefined;
}

function pruneLineage(state: PoolState): void {
  const keys = Object.keys(state.lineage);
  for (const key of keys.slice(0, Math.max(0, keys.length - 500))) delete state.lineage[key];
}

async function setStatus(deps: SyncDeps, pool: PoolKey, number: number, sha: string, s: { state: Readiness["state"]; description: string; url?: string }, last?: string | null): Promise<void> {
  const description = statusText(s.description);
  // "of N" is left out of the comparison: the line's length alone changing is not worth a write per PR.
  const value = `${sha}|${s.state}|${description.replace(/ of \d+$/, "")}|${s.url ?? ""}`;
  if ((last === undefined ? await deps.store.lastStatus(pool, number) : last) === value) return;
  await deps.github.createStatus({ owner: pool.owner, name: pool.repo }, sha, { state: s.state, context: statusContext, description, targetUrl: s.url || undefined });
  await deps.store.setLastStatus(pool, number, value);
}

/** The line as users see it: position in line, or the run testing it. */
function positions(state: PoolState): Map<number, { position: number; of: number; testing?: CiRun; unit: string }> {
  const out = new Map<number, { position: number; of: number; testing?: CiRun; unit: string }>();
  const line = state.units.flatMap((u) => u.prs.map((p) => ({ p, unit: u.id })));
  line.forEach(({ p, unit }, i) => {
    const testing = state.runs.find((r) => r.unitId === unit && r.state === "pending");
    out.set(p.number, { position: i + 1, of: line.length, testing, unit });
  });
  return out;
}

async function writeStatuses(deps: SyncDeps, pool: PoolKey, state: PoolState, prs: PullRequestInfo[], readiness: Map<number, Readiness>, required: string[]): Promise<void> {
  const line = positions(state);
  const shown = deps.config.mergeQueue.statusPositions;
  const written = await deps.store.lastStatuses(pool);
  for (const pr of prs) {
    const r = readiness.get(pr.number);
    if (!r) continue;
    let { description } = r;
    const at = line.get(pr.number);
    if (r.ready && at) {
      description =
        at.testing && at.testing.prs.length === 1
          ? `Retesting against the current base: ${required.join(", ") || "no required jobs"}`
          : at.position <= shown
            ? `In merge queue, position ${at.position} of ${at.of}`
            : `In merge queue, more than ${shown} PRs ahead`;
    } else if (r.ready) {
      const blocked = state.conflicts.some((c) => c.a.number === pr.number || c.b.number === pr.number);
      description = blocked ? "In merge queue, waiting for a PR it conflicts with to merge first" : "In merge queue";
    }
    if (state.stopped && r.ready) description = "Merge queue stopped: mario may not merge here; an admin must check its permissions";
    await setStatus(deps, pool, pr.number, pr.head.sha, { state: r.state, description, url: r.url }, written[String(pr.number)] ?? null);
  }
}

function renderView(pool: PoolKey, state: PoolState, prs: PullRequestInfo[], readiness: Map<number, Readiness>, now: number): PoolView {
  const line = positions(state);
  return {
    pool: poolId(pool),
    baseSha: state.baseSha ?? "",
    updatedAt: new Date(now).toISOString(),
    stopped: state.stopped?.reason,
    queue: [...line.entries()].map(([number, at]) => ({ number, sha: prs.find((p) => p.number === number)?.head.sha ?? "", position: at.position, batch: at.unit, testing: Boolean(at.testing) })),
    waiting: prs.filter((p) => !line.has(p.number)).map((p) => ({ number: p.number, sha: p.head.sha, missing: readiness.get(p.number)?.description ?? "", state: readiness.get(p.number)?.state ?? "pending" })),
    inFlight: state.runs.map((r) => ({ id: r.id, prs: r.prs.map((p) => p.number), sha: r.sha, state: r.state, startedAt: new Date(r.startedAt).toISOString() })),
  };
}

const sameList = (a: PrRef[], b: PrRef[]) => a.length === b.length && a.every((p, i) => p.number === b[i]!.number && p.sha === b[i]!.sha);
