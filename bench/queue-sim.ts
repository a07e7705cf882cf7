/**
 * One simulated day of a merge queue: the REAL driver (`syncPool`) and a planner, real Redis, the fake GitHub over
 * HTTP (so every API request is counted), staging commits built through the git refs + merges API, and a simulated
 * CI that takes T and fails a staging commit when it contains a bad PR or both PRs of a bad pair, or by a flake (a
 * small chance per run, whatever it contains). Time is simulated: the loop jumps from event to event (a PR becomes
 * ready, a CI run finishes). Not modelled: Tide's 1-minute polling delay and the cost of its search queries — every
 * strategy reacts at once and pays only for the REST requests it makes here.
 *
 * "Base green": every combination of PRs that ever was on main after a merge step (one PR, or the PRs of one passing
 * run merged one after another) is exactly a combination some staging run passed before. The commits between the
 * PRs of one batch are prefixes of that tested combination and are not tested on their own (Tide merges batches the
 * same way).
 */
import { Octokit } from "@octokit/rest";
import type { Redis } from "ioredis";
import { octokitGitHub, toPullRequestInfo } from "../src/github/octokit-github.js";
import { renderPull } from "../test/fakes/github-render.js";
import { mergeQueueSchema, reviewSchema } from "../src/merge-queue/merge-queue-config.js";
import { poolStore } from "../src/merge-queue/pool-store.js";
import type { Planner, PoolKey } from "../src/merge-queue/pool-types.js";
import { stagingBranch, stagingBranchCi, type QueueCi } from "../src/merge-queue/queue-ci.js";
import { syncPool } from "../src/merge-queue/sync-pool.js";
import type { FakeGitHub } from "../test/fakes/fake-github.js";

export interface SimOptions {
  github: FakeGitHub;
  redis: Redis;
  prefix: string;
  planner: Planner;
  repo: string;
  prs: number;
  /** CI duration (simulated ms). */
  T: number;
  C: number;
  p: number;
  /** Pairs of otherwise good PRs that fail only together, per PR. */
  pairRate: number;
  /** Chance that a CI run fails whatever it contains (the same draws, run by run, for every strategy). */
  flakeRate: number;
  /** Arrivals per T. */
  arrivalsPerT: number;
  seed: number;
  maxBatchSize: number;
}

export interface SimResult {
  merged: number;
  ejected: number;
  goodEjected: number;
  throughput: number;
  p50: number;
  p95: number;
  runsPerMerged: number;
  requestsPerMerged: number;
  green: boolean;
  /** Merge steps that left main at a combination no staging run had passed. */
  untestedMerges: number;
  /** CI runs that failed by a flake. */
  flakes: number;
  simTime: number;
}

/** A small deterministic PRNG (mulberry32): every strategy sees the same PR stream. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function simulate(o: SimOptions): Promise<SimResult> {
  const random = rng(o.seed);
  const flakeRandom = rng(o.seed ^ 0x5eed);
  const [owner, name] = o.repo.split("/") as [string, string];
  const pool: PoolKey = { owner, repo: name, branch: "main" };
  const state = o.github.state;
  state.addRepo(o.repo);
  const base0 = state.newSha();
  state.git.setBranch(o.repo, "main", base0);

  // The PR stream: arrival times, bad PRs, bad pairs (same seed → same stream for every strategy).
  const arrivals: number[] = [];
  let t = 0;
  for (let i = 0; i < o.prs; i++) {
    t += (-Math.log(1 - random()) * o.T) / o.arrivalsPerT;
    arrivals.push(t);
  }
  const bad = new Set<number>();
  for (let n = 1; n <= o.prs; n++) if (random() < o.p) bad.add(n);
  const pairs: [number, number][] = [];
  for (let n = 1; n <= o.prs; n++) {
    if (random() < o.pairRate) {
      const m = n + 1 + Math.floor(random() * 6);
      if (m <= o.prs) pairs.push([n, m]);
    }
  }
  const fails = (content: Set<number>) => [...content].some((n) => bad.has(n)) || pairs.some(([a, b]) => content.has(a) && content.has(b));

  type Event = { at: number; kind: "arrive"; n: number } | { at: number; kind: "ci"; sha: string; runId: string; flaky: boolean };
  const events: Event[] = arrivals.map((at, i) => ({ at, kind: "arrive", n: i + 1 }));
  const push = (e: Event) => {
    let i = events.length;
    while (i > 0 && events[i - 1]!.at > e.at) i--;
    events.splice(i, 0, e);
  };
  let now = 0;
  let runs = 0;
  const store = poolStore(o.redis, o.prefix);
  const ci: QueueCi = {
    async start(gh, p, request) {
      const result = await stagingBranchCi.start(gh, p, request);
      if ("sha" in result) {
        runs++;
        push({ at: now + o.T, kind: "ci", sha: result.sha, runId: request.id, flaky: flakeRandom() < o.flakeRate });
      }
      return result;
    },
    cancel: stagingBranchCi.cancel,
  };
  const config = {
    mergeQueue: mergeQueueSchema.parse({ requiredChecks: ["ci/test"], maxInFlight: o.C, maxBatchSize: o.maxBatchSize, mergeRetryBaseMs: 0, statusPositions: 5 }),
    review: reviewSchema.parse({}),
  };
  const gh = octokitGitHub(new Octokit({ auth: "bench-token", baseUrl: o.github.apiUrl }));
  const deps = { github: gh, ci, store, labelStore: { redis: o.redis, prefix: o.prefix }, config, planner: o.planner, now: () => now, sleep: async () => {} };
  const requestsBefore = o.github.requests.length;

  const readyAt = new Map<number, number>();
  const mergedAt = new Map<number, number>();
  const combination = (sha: string) => [...state.git.commit(o.repo, sha).content.keys()].sort((a, b) => a - b).join(",");
  const passing = new Set<string>([combination(base0)]);
  let untestedMerges = 0;
  let flakes = 0;
  for (let step = 0; step < 100_000 && events.length > 0; step++) {
    const e = events.shift()!;
    now = e.at;
    if (e.kind === "arrive") {
      const pr = state.addPullRequest(o.repo, { number: e.n, user: `dev${e.n % 7}`, title: `Change ${e.n}`, labels: ["lgtm", "approved"], base: { sha: base0, ref: "main" } });
      // Its own CI passed on its head (bad PRs fail only once combined with the moving base).
      state.statusesList.push({ id: state.nextId(), repo: o.repo, sha: pr.head.sha, state: "success", targetUrl: null, description: "passed", context: "ci/test", creator: state.bot, createdAt: state.now(), updatedAt: state.now() });
      // …and its status webhook reached mario.
      await store.recordContexts(owner, name, pr.head.sha, [{ context: "ci/test", state: "success", description: "passed", url: "" }], false);
      readyAt.set(e.n, now);
      // What the pull_request webhook handler does with the event's payload.
      await store.putPr(pool, toPullRequestInfo(renderPull({ base: o.github.url, state }, state.repo(o.repo), pr) as never));
    } else {
      // A cancelled run (its staging branch deleted) reports nothing.
      if (state.git.branch(o.repo, stagingBranch(pool, e.runId)) !== e.sha) continue;
      const content = new Set(state.git.commit(o.repo, e.sha).content.keys());
      if (e.flaky && !fails(content)) flakes++;
      const result = fails(content) || e.flaky ? "failure" : "success";
      if (result === "success") passing.add(combination(e.sha));
      // What the status webhook handler does with CI's report.
      await store.recordContexts(owner, name, e.sha, [{ context: "ci/test", state: result, description: result, url: `https://ci.example.test/${e.runId}` }], false);
    }
    for (let i = 0; i < 50; i++) {
      const mainBefore = state.git.branch(o.repo, "main")!;
      const { acted } = await syncPool(deps, pool);
      const mainAfter = state.git.branch(o.repo, "main")!;
      // One sync merges at most one run's PRs: main must now be a combination a staging run passed.
      if (mainAfter !== mainBefore && !passing.has(combination(mainAfter))) untestedMerges++;
      if (!acted) break;
    }
    for (const pr of state.pullRequests(o.repo)) if (pr.merged && !mergedAt.has(pr.number)) mergedAt.set(pr.number, now);
  }

  const merged = mergedAt.size;
  if (process.env.BENCH_DEBUG) {
    const byOp = new Map<string, number>();
    for (const r of o.github.requests.slice(requestsBefore)) byOp.set(r.operationId ?? "?", (byOp.get(r.operationId ?? "?") ?? 0) + 1);
    process.stderr.write(`requests by operation: ${JSON.stringify(Object.fromEntries([...byOp].sort((a, b) => b[1] - a[1])))}\n`);
  }
  const finalContent = new Set(state.git.commit(o.repo, state.git.branch(o.repo, "main")!).content.keys());
  const latencies = [...mergedAt].map(([n, at]) => (at - readyAt.get(n)!) / o.T).sort((a, b) => a - b);
  const q = (f: number) => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? Number.NaN;
  const firstReady = Math.min(...readyAt.values());
  const lastMerge = Math.max(...mergedAt.values());
  const poolState = await store.load(pool);
  const ejected = Object.keys(poolState.failed).map(Number);
  return {
    merged,
    ejected: ejected.length,
    goodEjected: ejected.filter((n) => !bad.has(n) && !pairs.some(([a, b]) => (a === n || b === n) && finalContent.has(a === n ? b : a))).length,
    throughput: merged / ((lastMerge - firstReady) / o.T) / o.C,
    p50: q(0.5),
    p95: q(0.95),
    runsPerMerged: runs / Math.max(1, merged),
    requestsPerMerged: (o.github.requests.length - requestsBefore) / Math.max(1, merged),
    green: untestedMerges === 0 && !fails(finalContent),
    untestedMerges,
    flakes,
    simTime: now / o.T,
  };
}
