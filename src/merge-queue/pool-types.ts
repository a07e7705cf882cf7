import type { RepoRef } from "../github/github-port.js";

/** The merge queue's data, stored per pool in Redis as plain JSON. */

export interface PoolKey {
  owner: string;
  repo: string;
  branch: string;
}

/** `org/repo:branch`, as Tide names pools. */
export const poolId = (p: PoolKey) => `${p.owner}/${p.repo}:${p.branch}`;

/** The repository of a pool (or of a merge queue event), as the GitHub port names it. */
export const repoOf = (pool: Pick<PoolKey, "owner" | "repo">): RepoRef => ({ owner: pool.owner, name: pool.repo });

export function parsePoolId(id: string): PoolKey | undefined {
  const m = /^([^/\s]+)\/([^:\s]+):(.+)$/.exec(id);
  return m ? { owner: m[1]!, repo: m[2]!, branch: m[3]! } : undefined;
}

export interface PrRef {
  number: number;
  sha: string;
}

/** A PR that is ready to merge (in the pool), as the planner sees it. */
export interface ReadyPr extends PrRef {
  /** Lower is more urgent (index of its priority label; labels absent → a large number). */
  priority: number;
  /** When it entered the pool (first ready, first merged). */
  readyAt: number;
  /** Its own checks ran on the current base, so it may merge alone without a retest. */
  fresh: boolean;
}

/**
 * A batch: PRs tested and merged together. Units form a line; the run of unit i tests the base plus every unit
 * up to i (speculation), so a later unit passing vouches for those ahead of it.
 */
export interface Unit {
  id: string;
  prs: PrRef[];
  /** A half of a failed batch: once the unit `suspectOf` merges, this half is known to fail without a run. */
  suspectOf?: string;
  /** The PRs of the `suspectOf` unit. */
  suspectPrs?: number[];
  /** Known to fail (deduced); split or ejected without testing. */
  bad?: boolean;
  /** The failure that made it suspect, reported if a PR of it is ejected by deduction. */
  failure?: RunFailure;
  /** A half created by bisection: stays ahead of newly formed batches. */
  bisect?: boolean;
}

export interface RunFailure {
  context: string;
  description: string;
  url: string;
}

/** One CI run on a staging commit: the base plus `prs`, in order. */
export interface CiRun {
  id: string;
  unitId?: string;
  baseSha: string;
  prs: PrRef[];
  /** The staging commit CI tests (known once created). */
  sha?: string;
  state: "pending" | "passed" | "failed";
  failure?: RunFailure;
  startedAt: number;
  /** Tide's single-PR retest (baseline strategy only). */
  single?: boolean;
}

export interface MergeIntent {
  runId?: string;
  baseSha: string;
  prs: PrRef[];
  done: number[];
  /** The base head after the last merge done (the commit the next one lands on). */
  tip?: string;
  at: number;
}

export interface PoolState {
  baseSha?: string;
  units: Unit[];
  runs: CiRun[];
  /** Base commits mario produced: sha → the commit before it and the PRs merged to get there. */
  lineage: Record<string, { from: string; prs: number[] }>;
  /** Pairs that git could not stack; never put together until one of them merged or changed. */
  conflicts: { a: PrRef; b: PrRef }[];
  /** PRs that failed alone, by number: they leave the queue until their head changes. */
  failed: Record<string, { sha: string } & RunFailure>;
  readyAt: Record<string, number>;
  /** PRs carrying needs-rebase: `<head>@<base>` last checked for a clean merge, so each is checked once. */
  rebaseChecked: Record<string, string>;
  /** Former base heads and when they stopped being the head (for a `freshness` window). */
  baseHeads: Record<string, number>;
  merging?: MergeIntent;
  stopped?: { reason: string; at: number };
  stats: { merged: number; ejected: number; runs: number };
  nextId: number;
}

export const emptyPoolState = (): PoolState => ({
  units: [],
  runs: [],
  lineage: {},
  conflicts: [],
  failed: {},
  readyAt: {},
  rebaseChecked: {},
  baseHeads: {},
  stats: { merged: 0, ejected: 0, runs: 0 },
  nextId: 1,
});

/** What one planning step decides; the driver carries it out. */
export interface Plan {
  units: Unit[];
  /** The runs still worth keeping (cancelled and consumed ones removed). */
  runs: CiRun[];
  cancel: { run: CiRun; reason: string }[];
  start: { unitId?: string; prs: PrRef[]; single?: boolean; stackOn?: string }[];
  merge?: { runId?: string; prs: PrRef[] };
  eject: { pr: PrRef; failure: RunFailure; reason: string }[];
  /** History lines for decisions that are not actions (splits). */
  notes: { action: string; prs: number[]; detail: string }[];
}

export interface PlanInput {
  state: PoolState;
  baseSha: string;
  /** Ready PRs, most urgent first (priority, then readyAt, then number). */
  ready: ReadyPr[];
  maxInFlight: number;
  maxBatchSize: number;
}

export type Planner = (input: PlanInput) => Plan;
