import type { PullRequestInfo } from "../github/github-port.js";
import type { PoolView } from "./pool-store.js";
import { type CiRun, type PoolKey, type PoolState, poolId, repoOf } from "./pool-types.js";
import { statusText, type Readiness } from "./pr-readiness.js";
import type { SyncDeps } from "./sync-pool.js";

export const statusContext = "mario/merge-queue";

/** Writes the queue status on a PR head, only when it differs from the one written last. */
export async function setStatus(
  deps: Pick<SyncDeps, "github" | "store">,
  pool: PoolKey,
  number: number,
  sha: string,
  s: { state: Readiness["state"]; description: string; url?: string },
  last?: string | null,
): Promise<void> {
  const description = statusText(s.description);
  // "of N" is left out of the comparison: the line's length alone changing is not worth a write per PR.
  const value = `${sha}|${s.state}|${description.replace(/ of \d+$/, "")}|${s.url ?? ""}`;
  if ((last === undefined ? await deps.store.lastStatus(pool, number) : last) === value) return;
  await deps.github.createStatus(repoOf(pool), sha, { state: s.state, context: statusContext, description, targetUrl: s.url || undefined });
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

export async function writeStatuses(deps: SyncDeps, pool: PoolKey, state: PoolState, prs: PullRequestInfo[], readiness: Map<number, Readiness>, required: string[]): Promise<void> {
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

export function renderView(pool: PoolKey, state: PoolState, prs: PullRequestInfo[], readiness: Map<number, Readiness>, now: number): PoolView {
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
