import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { MarioConfig } from "../config/config-schema.js";
import type { ContextResult, GitHubForInstallation, PullRequestInfo } from "../github/github-port.js";
import { permissionAtLeast } from "../github/permission.js";
import { reevaluateApproval, updateApproval } from "../review/approvals.js";
import { addManagedLabel, forgetLabel, labelSpecs } from "../review/review-labels.js";
import type { Lease } from "../work/lease.js";
import type { PermissionLookup } from "../work/permission-cache.js";
import type { RunningDuty } from "../work/singleton-duty.js";
import { applyBasePush } from "./base-push.js";
import { planMario } from "./plan-pool.js";
import { poolStore } from "./pool-store.js";
import { parsePoolId, poolId, repoOf, type PoolKey } from "./pool-types.js";
import { stagingBranchCi, type QueueCi } from "./queue-ci.js";
import { requiredJobContexts } from "./required-jobs.js";
import { LeaseLostError, syncPool, type SyncDeps } from "./sync-pool.js";

/** A webhook, normalized for the merge queue and reviews (job `merge-queue-event`). */
export interface MergeQueueEvent {
  installationId: number;
  owner: string;
  repo: string;
  kind: "pull_request" | "review" | "status" | "push" | "label-deleted";
  action?: string;
  pr?: PullRequestInfo;
  /** pull_request.synchronize and push: the head before the push. */
  before?: string;
  review?: { user: string; state: string };
  /** status / check_run: the commit and its contexts. */
  sha?: string;
  contexts?: ContextResult[];
  /** push: the branch and its new head. */
  branch?: string;
  after?: string;
  forced?: boolean;
  /** label-deleted: the label's name. */
  label?: string;
}

export interface MergeQueueOptions {
  redis: Redis;
  prefix: string;
  config: MarioConfig;
  github: GitHubForInstallation;
  log: Logger;
  ci?: QueueCi;
  /** Repository permissions, cached (the same lookup commands use); default: asked from GitHub each time. */
  permission?: PermissionLookup;
  /** How often the driver looks for pools marked by other replicas (ms). */
  pollMs?: number;
  onHistory?: SyncDeps["onHistory"];
}

/**
 * The merge queue: webhook events update the pool snapshots and mark pools dirty (any replica); the driver —
 * a singleton duty, so exactly one replica — drains dirty pools, runs `syncPool` until each is quiet, and
 * reconciles every pool from GitHub every `reconcileMinutes`.
 */
export function createMergeQueue(o: MergeQueueOptions) {
  const store = poolStore(o.redis, o.prefix);
  const cfg = o.config.mergeQueue;
  const instKey = `${o.prefix}mq:installation`;
  const inScope = (branch: string) => cfg.enabled && (cfg.branches.length === 0 || cfg.branches.includes(branch)) && !branch.startsWith("mario/queue");
  const review = { redis: o.redis, prefix: o.prefix, review: o.config.review };

  const touch = async (pool: PoolKey, installationId: number) => {
    if (!inScope(pool.branch)) return;
    await o.redis.hset(instKey, poolId(pool), String(installationId));
    await store.markDirty(pool);
  };

  async function handleEvent(e: MergeQueueEvent): Promise<void> {
    const poolOf = (branch: string): PoolKey => ({ owner: e.owner, repo: e.repo, branch });
    if (e.kind === "pull_request" && e.pr) {
      const pool = poolOf(e.pr.base.ref);
      // A stale payload (older than the stored one, or about a PR mario merged) changes nothing: a late
      // `synchronize` must not remove an lgtm added again since. Asked before the side effects, which may edit
      // e.pr.labels before it is stored.
      if (inScope(pool.branch) && (await store.isStalePr(pool, e.pr))) return;
      if (e.action === "synchronize" && e.before) await dropLgtmOnPush(e, e.before);
      if (e.action === "opened" || e.action === "synchronize" || e.action === "reopened") await reevaluateApprovedLabel(e);
      // A label change may be the answer to a merge GitHub refused (someone fixed the cause): it is tried again.
      if (e.action === "labeled" || e.action === "unlabeled") await store.clearRefusal(pool, e.pr.number);
      if (inScope(pool.branch) && !(await store.putPr(pool, e.pr))) return;
      await touch(pool, e.installationId);
    } else if (e.kind === "review" && e.pr && e.review) {
      if (o.config.review.reviewsCount) await applyReview(e);
      await touch(poolOf(e.pr.base.ref), e.installationId);
    } else if (e.kind === "status" && e.sha && e.contexts) {
      await store.recordContexts(e.owner, e.repo, e.sha, e.contexts, false);
      for (const id of await store.pools()) if (id.startsWith(`${e.owner}/${e.repo}:`)) await touch(parsePoolId(id)!, e.installationId);
    } else if (e.kind === "label-deleted" && e.label) {
      await forgetLabel(o.redis, o.prefix, repoOf(e), e.label);
    } else if (e.kind === "push" && e.branch && e.after) {
      const pool = poolOf(e.branch);
      if (!inScope(e.branch)) return;
      if (await applyBasePush(store, pool, e.before, e.after, e.forced)) await touch(pool, e.installationId);
    }
  }

  /** A push removes `lgtm`, unless the git tree is the same (a rebase or squash that changed nothing). */
  async function dropLgtmOnPush(e: MergeQueueEvent, before: string): Promise<void> {
    const pr = e.pr!;
    const label = o.config.review.labels.lgtm;
    if (!pr.labels.some((l) => l.toLowerCase() === label.toLowerCase())) return;
    const gh = await o.github(e.installationId);
    const repo = repoOf(e);
    const [a, b] = await Promise.all([gh.getCommitTree(repo, before).catch(() => undefined), gh.getCommitTree(repo, pr.head.sha)]);
    if (a !== undefined && a === b) return;
    await gh.removeLabel(repo, pr.number, label);
    await gh.createComment(repo, pr.number, `New changes are detected. The \`${label}\` label has been removed; a reviewer can add it again with \`/lgtm\`.`);
    pr.labels = pr.labels.filter((l) => l.toLowerCase() !== label.toLowerCase());
  }

  /** The files changed: `approved` is worked out again (and the snapshot shows the label as it now is). */
  async function reevaluateApprovedLabel(e: MergeQueueEvent): Promise<void> {
    const pr = e.pr!;
    const result = await reevaluateApproval(review, await o.github(e.installationId), repoOf(e), pr);
    if (!result) return;
    const label = o.config.review.labels.approved;
    const others = pr.labels.filter((l) => l.toLowerCase() !== label.toLowerCase());
    pr.labels = result.approved ? [...others, label] : others;
  }

  /**
   * An approving review acts as `/lgtm` and `/approve`; "request changes" acts as `/lgtm cancel`. Both need what
   * `/lgtm` needs: write access (anyone may review, so a review alone must not move the label).
   */
  async function applyReview(e: MergeQueueEvent): Promise<void> {
    const pr = e.pr!;
    const { user, state } = e.review!;
    const gh = await o.github(e.installationId);
    const repo = repoOf(e);
    const lgtm = labelSpecs(o.config.review.labels).lgtm;
    const has = pr.labels.some((l) => l.toLowerCase() === lgtm.name.toLowerCase());
    const mayLgtm = async () => permissionAtLeast(await (o.permission ? o.permission(gh, repo, user) : gh.getPermission(repo, user)), "write");
    if (state === "approved" && user.toLowerCase() !== pr.author.toLowerCase() && !has && (await mayLgtm())) {
      await addManagedLabel(gh, o.redis, o.prefix, repo, pr.number, lgtm);
    } else if (state === "changes_requested" && has && (await mayLgtm())) {
      await gh.removeLabel(repo, pr.number, lgtm.name);
    }
    if (state === "approved" || state === "changes_requested") await updateApproval(review, gh, repo, pr);
  }

  /** The driver, started on the replica holding the lease. */
  function drive(lease: Lease): RunningDuty {
    let stopped = false;
    let busy = false;
    const retries = new Set<NodeJS.Timeout>();
    const sync = async (id: string, deep: boolean) => {
      const pool = parsePoolId(id);
      const installation = Number(await o.redis.hget(instKey, id));
      if (!pool || !installation) return;
      const github = await o.github(installation);
      const deps = {
        github,
        ci: o.ci ?? stagingBranchCi,
        store,
        labelStore: { redis: o.redis, prefix: o.prefix },
        config: o.config,
        planner: planMario,
        now: () => Date.now(),
        sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
        lease,
        requiredJobs: (p: PoolKey) => requiredJobContexts(o.config, p),
        onHistory: o.onHistory,
      };
      for (let i = 0; i < 20 && !stopped; i++) {
        const { acted } = await syncPool(deps, pool, { deep: deep && i === 0 });
        if (!acted) break;
      }
    };
    const tick = async (deep: boolean) => {
      if (busy || stopped) return;
      busy = true;
      try {
        const ids = deep ? await store.pools() : [];
        const deepIds = new Set(ids);
        for (let i = 0; i < 1000 && !stopped; i++) {
          const id = ids.shift() ?? (await store.takeDirty());
          if (!id) break;
          try {
            await sync(id, deepIds.delete(id));
          } catch (error) {
            if (error instanceof LeaseLostError) return;
            o.log.warn({ err: error, pool: id }, "merge queue sync failed; retrying shortly");
            const retry = setTimeout(() => void store.markDirty(id).catch(() => undefined), 2000);
            retry.unref();
            retries.add(retry);
          }
        }
      } finally {
        busy = false;
      }
    };
    const poll = setInterval(() => void tick(false), o.pollMs ?? 250);
    const reconcile = cfg.reconcileMinutes > 0 ? setInterval(() => void tick(true), cfg.reconcileMinutes * 60_000) : undefined;
    // A new driver reconciles every pool once: webhooks may have been lost while none drove, and a crashed one
    // may have left staging branches behind.
    void tick(true);
    return {
      stop() {
        stopped = true;
        clearInterval(poll);
        if (reconcile) clearInterval(reconcile);
        for (const r of retries) clearTimeout(r);
      },
    };
  }

  /** The installation that serves a pool's repository (recorded from its webhooks). */
  const installationOf = async (id: string): Promise<number | undefined> => Number(await o.redis.hget(instKey, id)) || undefined;

  return { store, handleEvent, drive, installationOf };
}

export type MergeQueue = ReturnType<typeof createMergeQueue>;
