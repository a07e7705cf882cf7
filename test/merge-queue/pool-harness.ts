/**
 * The real pool driver (`syncPool`), the real planner and store on the real Redis, the fake GitHub over HTTP: for
 * tests that need a clock of their own (freshness windows) or two drivers at once (fencing). Webhooks are
 * delivered as their handler does it: a status becomes a context in the store, a pull_request a snapshot entry.
 */
import { Octokit } from "@octokit/rest";
import { Redis } from "ioredis";
import { octokitGitHub, toPullRequestInfo } from "../../src/github/octokit-github.js";
import { mergeQueueSchema, reviewSchema, type MergeQueueConfig } from "../../src/merge-queue/merge-queue-config.js";
import { planMario } from "../../src/merge-queue/plan-pool.js";
import { poolStore, type HistoryEntry, type PoolStore } from "../../src/merge-queue/pool-store.js";
import type { PoolKey } from "../../src/merge-queue/pool-types.js";
import { stagingBranchCi } from "../../src/merge-queue/queue-ci.js";
import { syncPool, type SyncDeps } from "../../src/merge-queue/sync-pool.js";
import { startFakeGitHub, type FakeGitHub } from "../fakes/fake-github.js";
import { renderPull } from "../fakes/github-render.js";
import type { PullRequestRecord } from "../fakes/github-state.js";
import { deleteKeys, redisUrl, uniquePrefix } from "../support/test-redis.js";

export const repo = "octo/demo";
const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
export const pool: PoolKey = { owner: "octo", repo: "demo", branch: "main" };

export interface PoolHarness {
  github: FakeGitHub;
  redis: Redis;
  store: PoolStore;
  prefix: string;
  deps: SyncDeps;
  clock: { now: number };
  /** A PR ready for the queue: labels, its own ci/test green (optionally with a description), in the snapshot. */
  seedPr(number: number, opts?: { description?: string; labels?: string[] }): Promise<PullRequestRecord>;
  /** Delivers the PR as a pull_request webhook would. */
  deliverPr(number: number): Promise<void>;
  /** A status on a commit, as CI reports it and the status webhook records it. */
  report(sha: string, state: "success" | "failure", opts?: { context?: string; description?: string; url?: string }): Promise<void>;
  /** syncPool until it does nothing more (bounded). */
  sync(deps?: SyncDeps): Promise<void>;
  stagingRuns(): { branch: string; sha: string; prs: number[] }[];
  history(): Promise<HistoryEntry[]>;
  main(): string;
  close(): Promise<void>;
}

export async function startPoolHarness(config: Partial<MergeQueueConfig> = {}): Promise<PoolHarness> {
  const github = await startFakeGitHub();
  const redis = new Redis(redisUrl(), { protocol: 2 });
  const prefix = `${uniquePrefix()}:`;
  const store = poolStore(redis, prefix);
  const state = github.state;
  state.addRepo(repo);
  state.git.setBranch(repo, "main", state.newSha());
  const clock = { now: Date.parse("2030-01-01T00:00:00Z") };
  const deps: SyncDeps = {
    github: octokitGitHub(new Octokit({ auth: "test-token", baseUrl: github.apiUrl, log: quiet })),
    ci: stagingBranchCi,
    store,
    labelStore: { redis, prefix },
    config: { mergeQueue: mergeQueueSchema.parse({ requiredChecks: ["ci/test"], mergeRetryBaseMs: 0, reconcileMinutes: 0, ...config }), review: reviewSchema.parse({}) },
    planner: planMario,
    now: () => clock.now,
    sleep: async () => {},
  };
  const deliverPr = async (number: number) => {
    await store.putPr(pool, toPullRequestInfo(renderPull({ base: github.url, state }, state.repo(repo), state.pullRequest(repo, number)) as never));
  };
  const report: PoolHarness["report"] = async (sha, result, opts = {}) => {
    const context = opts.context ?? "ci/test";
    const description = opts.description ?? result;
    const url = opts.url ?? `https://ci.example.test/${sha.slice(0, 7)}`;
    state.statusesList.push({ id: state.nextId(), repo, sha, state: result, targetUrl: url, description, context, creator: state.bot, createdAt: state.now(), updatedAt: state.now() });
    await store.recordContexts(pool.owner, pool.repo, sha, [{ context, state: result, description, url }], false);
  };
  return {
    github,
    redis,
    store,
    prefix,
    deps,
    clock,
    async seedPr(number, opts = {}) {
      const pr = state.addPullRequest(repo, { number, user: "carol", title: `Change ${number}`, labels: opts.labels ?? ["lgtm", "approved"], base: { sha: state.git.branch(repo, "main")!, ref: "main" } });
      await report(pr.head.sha, "success", { description: opts.description });
      await deliverPr(number);
      return pr;
    },
    deliverPr,
    report,
    async sync(d = deps) {
      for (let i = 0; i < 30; i++) if (!(await syncPool(d, pool)).acted) return;
    },
    stagingRuns() {
      return [...(state.git.branches.get(repo) ?? new Map<string, string>())]
        .filter(([name]) => name.startsWith("mario/queue/main/"))
        .map(([branch, sha]) => ({ branch, sha, prs: [...state.git.commit(repo, sha).content.keys()].sort((a, b) => a - b) }));
    },
    history: () => store.history(pool, 1000),
    main: () => state.git.branch(repo, "main")!,
    async close() {
      await github.close();
      redis.disconnect();
      await deleteKeys(prefix);
    },
  };
}
