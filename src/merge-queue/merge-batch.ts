import type { PullRequestInfo } from "../github/github-port.js";
import { addManagedLabel, labelSpecs } from "../review/review-labels.js";
import { codeSpan } from "../text/markdown.js";
import { mergePr } from "./merge-pr.js";
import type { HistoryEntry } from "./pool-store.js";
import { setStatus } from "./pool-statuses.js";
import { repoOf, type Plan, type PoolKey, type PoolState } from "./pool-types.js";
import type { Readiness } from "./pr-readiness.js";
import { mergesCleanly } from "./queue-ci.js";
import { LeaseLostError } from "./lease-lost-error.js";
import type { SyncDeps } from "./sync-pool.js";

export type Note = (action: HistoryEntry["action"], prs: number[], detail: string) => void;

/** What a merge step needs besides the deps: the pool's state (mutated), a fenced save, history, statuses. */
export interface MergeContext {
  deps: SyncDeps;
  pool: PoolKey;
  state: PoolState;
  save: () => Promise<void>;
  note: Note;
  readiness: Map<number, Readiness>;
}


/**
 * Merges what a passing run tested, in order, each with its tested head. The real branch head is read first: if
 * it is not the base the run was planned on (a push mario did not see yet), nothing merges and the line is retested.
 * Returns the PRs merged.
 */
export async function mergeBatch(c: MergeContext, merge: NonNullable<Plan["merge"]>, byNumber: Map<number, PullRequestInfo>, baseSha: string): Promise<number[]> {
  const { deps, pool, state, note } = c;
  if (deps.lease && !(await deps.lease.isCurrent())) throw new LeaseLostError();
  const repo = repoOf(pool);
  const real = await deps.github.getBranch(repo, pool.branch);
  if (real && real.sha !== baseSha) {
    note("skipped", merge.prs.map((p) => p.number), `${pool.branch} is at ${real.sha.slice(0, 7)}, not ${baseSha.slice(0, 7)} as tested: retesting on it`);
    if ((await deps.store.setBase(pool, real.sha, baseSha)) !== "moved") await deps.store.markBaseStale(pool);
    return [];
  }
  // The intent is stored before the first merge: a crash in between is recovered from GitHub's `merged` state.
  state.merging = { runId: merge.runId, baseSha, prs: merge.prs, done: [], at: deps.now() };
  await c.save();
  let base = baseSha;
  for (const pr of merge.prs) {
    const info = byNumber.get(pr.number);
    if (!info) break;
    if (deps.lease && !(await deps.lease.isCurrent())) throw new LeaseLostError();
    await setStatus(deps, pool, pr.number, pr.sha, { state: "success", description: "Merging…" });
    const outcome = await mergePr(deps.github, repo, info, pr.sha, deps.config.mergeQueue, deps.sleep);
    if (outcome.kind === "merged") {
      recordMerged(state, base, outcome.sha, pr.number);
      state.merging.done.push(pr.number);
      state.merging.tip = outcome.sha;
      state.units = state.units.map((u) => ({ ...u, prs: u.prs.filter((p) => p.number !== pr.number) })).filter((u) => u.prs.length > 0);
      delete state.readyAt[`${pr.number}@${pr.sha}`];
      note("merged", [pr.number], `merged as ${outcome.sha.slice(0, 7)}${merge.runId ? ` (tested in ${merge.runId})` : " (its checks ran on this base)"}`);
      // The lineage is saved before the base moves, so a push webhook for this commit is known to be mario's own.
      await c.save();
      await deps.store.markMerged(pool, [pr.number]);
      if ((await deps.store.setBase(pool, outcome.sha, base)) === "elsewhere") await deps.store.markBaseStale(pool);
      base = outcome.sha;
      continue;
    }
    // The PRs after this one were tested with it: they go back to the queue and are retested without it.
    if (outcome.kind === "unauthorized") {
      state.stopped = { reason: `GitHub refused to merge #${pr.number}: ${outcome.message}`, at: deps.now() };
      note("stopped", [pr.number], `merging stopped: ${outcome.message}. Check the app's permissions (contents: write, pull_requests: write) and branch protection`);
    } else if (outcome.kind === "refused") {
      // Only a real conflict means "rebase"; anything else is a rule of the repository, quoted to the author.
      if (await mergesCleanly(deps.github, pool, base, pr.sha)) await refuse(c, info, outcome.message);
      else await markConflict(c, info, base);
    } else {
      note("skipped", [pr.number], `its head changed since it was tested: ${outcome.message}`);
      const fresh = await deps.github.getPullRequest(repo, pr.number);
      if (fresh) await deps.store.putFreshPr(pool, fresh);
    }
    break;
  }
  const merged = state.merging.done;
  state.merging = undefined;
  pruneLineage(state);
  return merged;
}

function recordMerged(state: PoolState, from: string, sha: string, number: number): void {
  state.lineage[sha] = { from, prs: [number] };
  state.stats.merged++;
}

/** After a crash between "decided to merge" and "done": GitHub's `merged` flag says what happened; the rest is retested. */
export async function recoverMerge(deps: SyncDeps, pool: PoolKey, state: PoolState, note: Note): Promise<void> {
  const intent = state.merging!;
  let base: string | undefined = intent.tip ?? intent.baseSha;
  const recovered: number[] = [];
  for (const pr of intent.prs) {
    if (intent.done.includes(pr.number)) {
      // Counted in the state saved after its merge, but that sync's history (metrics, notifications) went with it.
      const sha = Object.entries(state.lineage).find(([, step]) => step.prs.includes(pr.number))?.[0];
      note("merged", [pr.number], `${sha ? `merged as ${sha.slice(0, 7)}` : "merged"} (recorded late: the sync that merged it stopped before recording it)`);
      continue;
    }
    const info = await deps.github.getPullRequest(repoOf(pool), pr.number);
    if (!info?.merged) {
      base = undefined; // a gap: later merges (by someone else) do not extend mario's lineage
      continue;
    }
    recovered.push(pr.number);
    // Its merge commit joins the lineage, so runs in flight that contain it stay valid.
    if (base && info.mergeCommitSha) {
      recordMerged(state, base, info.mergeCommitSha, pr.number);
      base = info.mergeCommitSha;
    } else {
      state.stats.merged++;
    }
    note("merged", [pr.number], "merged before a restart (recovered from GitHub)");
  }
  await deps.store.markMerged(pool, recovered);
  state.merging = undefined;
}

/** The PR conflicts with the base: `needs-rebase`, a comment, and it leaves the queue until it is fixed. */
export async function markConflict(c: Pick<MergeContext, "deps" | "pool" | "state" | "note" | "readiness">, pr: PullRequestInfo | undefined, baseSha: string): Promise<void> {
  if (!pr) return;
  const { deps, pool } = c;
  const repo = repoOf(pool);
  const spec = labelSpecs(deps.config.review.labels).needsRebase;
  const label = spec.name;
  await addManagedLabel(deps.github, deps.labelStore.redis, deps.labelStore.prefix, repo, pr.number, spec);
  // The labeled webhook will say the same; until it arrives the snapshot must not offer the PR again.
  await deps.store.patchPrLabels(pool, pr, [...pr.labels, label]);
  c.state.rebaseChecked[String(pr.number)] = `${pr.head.sha}@${baseSha}`;
  await deps.github.createComment(repo, pr.number, `@${pr.author}: this PR does not merge cleanly into ${codeSpan(pool.branch)} any more. Rebase it (or merge ${codeSpan(pool.branch)} into it) and push; mario then removes the ${codeSpan(label)} label and it comes back to the merge queue.`);
  c.readiness.set(pr.number, { ready: false, fresh: false, state: "error", description: "Merge conflict: rebase needed" });
  c.note("removed", [pr.number], `merge conflict with ${pool.branch}: needs a rebase`);
}

/** GitHub refused the merge for a reason other than a conflict: the PR leaves the queue, quoting GitHub. */
async function refuse(c: MergeContext, pr: PullRequestInfo, message: string): Promise<void> {
  const { deps, pool } = c;
  await deps.store.refuse(pool, pr.number, { sha: pr.head.sha, message });
  await deps.github.createComment(
    repoOf(pool),
    pr.number,
    `@${pr.author}: this PR left the merge queue: GitHub refused to merge it, saying ${codeSpan(message)}. Once that is fixed, push to it or put it on hold and release it (\`/hold\`, \`/hold cancel\`) and it comes back.`,
  );
  c.readiness.set(pr.number, { ready: false, fresh: false, state: "error", description: `GitHub refused to merge it: ${message}` });
  c.note("removed", [pr.number], `GitHub refused to merge it: ${message}`);
}

function pruneLineage(state: PoolState): void {
  const keys = Object.keys(state.lineage);
  for (const key of keys.slice(0, Math.max(0, keys.length - 500))) delete state.lineage[key];
}
