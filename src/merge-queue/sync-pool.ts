import type { Redis } from "ioredis";
import type { ContextResult, GitHubPort, PullRequestInfo, RepoRef } from "../github/github-port.js";
import type { MarioConfig } from "../config/config-schema.js";
import { codeSpan } from "../text/markdown.js";
import { markConflict, mergeBatch, recoverMerge, type MergeContext, type Note } from "./merge-batch.js";
import { LeaseLostError } from "./lease-lost-error.js";
import { freshnessWindowMs } from "./merge-queue-config.js";
import { clearNeedsRebase } from "./needs-rebase.js";
import { mergedSince, normalPriority } from "./plan-pool.js";
import type { Fence, HistoryEntry, PoolStore } from "./pool-store.js";
import { renderView, statusContext, writeStatuses } from "./pool-statuses.js";
import { repoOf, type CiRun, type Plan, type Planner, type PoolKey, type PoolState, type PrRef, type ReadyPr } from "./pool-types.js";
import { evaluatePr, runOutcome, type Readiness } from "./pr-readiness.js";
import { stagingPrefix, type QueueCi } from "./queue-ci.js";

export { statusContext };

export interface SyncDeps {
  github: GitHubPort;
  ci: QueueCi;
  store: PoolStore;
  /** Where the labels mario manages are remembered as created (addManagedLabel): the Redis and prefix reviews use. */
  labelStore: { redis: Redis; prefix: string };
  config: Pick<MarioConfig, "mergeQueue" | "review">;
  planner: Planner;
  now(): number;
  sleep(ms: number): Promise<void>;
  /**
   * The driver's lease: checked right before every merge, and every state write is fenced with its token, so a
   * replica that lost it (or was paused past its expiry) never merges and never overwrites the new driver's state.
   */
  lease?: { isCurrent(): Promise<boolean>; token?: number; fenceKey?: string };
  /** Names of mario's required jobs (check runs `mario/<job>`), once lifecycle (src/jobs) provides them. */
  requiredJobs?: (pool: PoolKey) => string[];
  /** Told what a sync did (merges, removals, batch outcomes): metrics and channel notifications. */
  onHistory?: (pool: PoolKey, entries: HistoryEntry[]) => Promise<void> | void;
}

export { LeaseLostError };

export async function syncPool(deps: SyncDeps, pool: PoolKey, opts: { deep?: boolean } = {}): Promise<{ acted: boolean }> {
  const { github: gh, store } = deps;
  const cfg = deps.config.mergeQueue;
  const labels = deps.config.review.labels;
  const repo: RepoRef = repoOf(pool);
  const fence = fenceOf(deps);
  const history: HistoryEntry[] = [];
  const note: Note = (action, prs, detail) => history.push({ at: new Date(deps.now()).toISOString(), action, prs, detail });
  const state = await store.load(pool);
  const save = async () => {
    if (!(await store.save(pool, state, fence))) throw new LeaseLostError();
  };
  const finish = async () => {
    await save();
    await store.addHistory(pool, history, cfg.historySize);
    if (history.length) await deps.onHistory?.(pool, history);
  };

  if (state.stopped) {
    if (!opts.deep) return { acted: false };
    note("stopped", [], "retrying after the pool was stopped");
    state.stopped = undefined;
  }
  // Event-driven: the snapshot kept by webhooks and our own merges; GitHub is read only when there is none, when
  // reconciling, or when a push left the base head in doubt.
  const recovering = state.merging !== undefined;
  if (recovering) await recoverMerge(deps, pool, state, note);
  let snapshot = opts.deep || recovering ? undefined : await store.snapshot(pool);
  if (!snapshot) {
    const known = await store.base(pool);
    const read = await gh.getBranch(repo, pool.branch);
    if (!read) return { acted: false };
    await store.replaceSnapshot(pool, read, await gh.listOpenPullRequests(repo, pool.branch), known);
    snapshot = (await store.snapshot(pool))!;
  } else {
    // PRs whose events of one second could not be ordered: GitHub says which state is the last.
    const doubtful = await store.takeDoubtful(pool);
    for (const number of doubtful) {
      const fresh = await gh.getPullRequest(repo, number);
      if (fresh) await store.putFreshPr(pool, fresh);
    }
    if (doubtful.length) snapshot = { ...(await store.snapshot(pool))!, base: snapshot.base };
  }
  if (snapshot.base.stale) {
    const read = await gh.getBranch(repo, pool.branch);
    if (!read) return { acted: false };
    // Only from the head that was in doubt and only that mark: a push webhook meanwhile keeps the base in doubt.
    await store.setBase(pool, read.sha, snapshot.base.sha, snapshot.base.stale);
    snapshot.base = read;
  }
  if (opts.deep) await deleteStrayStagingBranches(deps, pool, state);
  const branch = snapshot.base;
  const required = [...new Set([...cfg.requiredChecks, ...(cfg.fromBranchProtection ? branch.requiredContexts : []), ...(deps.requiredJobs?.(pool) ?? [])])].filter((c) => c !== statusContext);

  // A merged PR never comes back, whatever a late webhook said about it.
  const merged = await store.mergedAmong(pool, snapshot.prs.map((p) => p.number));
  const prs = snapshot.prs.filter((p) => !p.merged && !merged.has(p.number));
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

  // Forget what no longer holds: conflicts, failures and refusals of PRs that changed or left.
  const current = (p: PrRef) => byNumber.get(p.number)?.head.sha === p.sha;
  state.conflicts = state.conflicts.filter((c) => current(c.a) && current(c.b));
  for (const [n, f] of Object.entries(state.failed)) if (byNumber.get(Number(n))?.head.sha !== f.sha) delete state.failed[n];
  const refusals = await store.refusals(pool);
  for (const [n, r] of Object.entries(refusals)) {
    if (byNumber.get(Number(n))?.head.sha === r.sha) continue;
    delete refusals[n];
    await store.clearRefusal(pool, Number(n));
  }
  trackBaseHeads(state, branch.sha, freshnessWindowMs(cfg.freshness), deps.now());
  await clearNeedsRebase(deps, pool, state, prs, branch.sha);

  const readiness = new Map<number, Readiness>();
  const needsRebaseConfig = { ...cfg, needsRebaseLabel: labels.needsRebase };
  await Promise.all(
    prs.map(async (pr) => {
      const extra = { now: deps.now(), refusal: refusals[String(pr.number)] };
      const cheap = evaluatePr(pr, needsRebaseConfig, [], [], state, branch.sha, extra);
      // Only PRs that pass the label rules cost a read of their checks.
      readiness.set(pr.number, cheap.ready ? evaluatePr(pr, needsRebaseConfig, required, await contextsOf(pr.head.sha), state, branch.sha, extra) : cheap);
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
      await gh.createComment(repo, pr.number, `@${info.author}: this PR left the merge queue: job ${codeSpan(failure.context)} failed when tested alone on top of ${codeSpan(pool.branch)}${log}${failure.description ? ` — ${failure.description}` : ""}. Push a fix and it comes back by itself.`);
      readiness.set(pr.number, { ready: false, fresh: false, state: "failure", description: `Job ${failure.context} failed in the merge queue; push a fix`, url: failure.url });
    }
  }

  const context: MergeContext = { deps, pool, state, save, note, readiness };
  let open = prs;
  if (plan.merge) {
    const done = await mergeBatch(context, plan.merge, byNumber, branch.sha);
    open = prs.filter((p) => !done.includes(p.number));
  } else {
    await startRuns(context, plan, branch.sha, byNumber);
  }

  await writeStatuses(deps, pool, state, open, readiness, required);
  await finish();
  await store.saveView(renderView(pool, state, open, readiness, deps.now()));
  return { acted };
}

/** The fencing token this sync writes with; a lease that is not held means another replica drives. */
function fenceOf(deps: SyncDeps): Fence | undefined {
  const lease = deps.lease;
  if (!lease?.fenceKey) return undefined;
  if (lease.token === undefined) throw new LeaseLostError();
  return { key: lease.fenceKey, token: lease.token };
}

/** Remembers when former base heads stopped being the head, for a `freshness` window (kept only that long). */
function trackBaseHeads(state: PoolState, head: string, windowMs: number, now: number): void {
  if (!(windowMs > 0 && Number.isFinite(windowMs))) {
    state.baseHeads = {};
    return;
  }
  if (state.baseSha && state.baseSha !== head) state.baseHeads[state.baseSha] = now;
  for (const [sha, until] of Object.entries(state.baseHeads)) if (until < now - windowMs || sha === head) delete state.baseHeads[sha];
}

/** Staging branches no run in flight owns (left by a crash between creating one and saving the state) are deleted. */
async function deleteStrayStagingBranches(deps: SyncDeps, pool: PoolKey, state: PoolState): Promise<void> {
  const prefix = stagingPrefix(pool);
  const owned = new Set(state.runs.map((r) => r.id));
  for (const name of await deps.github.listBranches(repoOf(pool), prefix)) {
    const runId = name.slice(prefix.length);
    if (!runId.includes("/") && !owned.has(runId)) await deps.ci.cancel(deps.github, pool, runId);
  }
}

async function startRuns(c: MergeContext, plan: Plan, baseSha: string, byNumber: Map<number, PullRequestInfo>): Promise<void> {
  const { deps, pool, state, note } = c;
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
        await markConflict(c, byNumber.get(conflict.number), baseSha);
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

const sameList = (a: PrRef[], b: PrRef[]) => a.length === b.length && a.every((p, i) => p.number === b[i]!.number && p.sha === b[i]!.sha);
