import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { LeaseLostError, syncPool } from "../../src/merge-queue/sync-pool.js";
import { holdLease, type Lease } from "../../src/work/lease.js";
import { GitHubError, githubRoutes, type RouteContext } from "../fakes/fake-github.js";
import { redisUrl } from "../support/test-redis.js";
import { waitFor } from "../support/test-mario.js";
import { pool, repo, startPoolHarness, type PoolHarness } from "./pool-harness.js";

let h: PoolHarness | undefined;
const leases: Lease[] = [];
const connections: Redis[] = [];
afterEach(async () => {
  for (const lease of leases.splice(0)) await lease.release();
  for (const c of connections.splice(0)) c.disconnect();
  await h?.close();
  h = undefined;
});

const duty = "duty:merge-queue";

describe("the merge-queue driver under faults", () => {
  it("a driver paused past its lease cannot overwrite the state the new driver wrote", async () => {
    h = await startPoolHarness();
    const harness = h;
    // Driver A renews rarely: it will not notice it lost the lease while it is paused.
    const a = holdLease(h.redis, h.prefix, duty, { ttlMs: 60_000, intervalMs: 60_000 });
    leases.push(a);
    await waitFor(() => a.held, "A holds the lease");
    await h.seedPr(1);
    // A pauses inside GitHub's answer while it builds its staging branch (a long GC pause, a frozen VM).
    const createRef = githubRoutes["git/create-ref"]!;
    let held: (() => void) | undefined;
    const paused = new Promise<void>((resolve) => (held = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    h.github.route("git/create-ref", async (ctx: RouteContext) => {
      if (first && (ctx.body as { ref?: string }).ref?.startsWith("refs/heads/mario/queue/main/")) {
        first = false;
        held?.();
        await released;
      }
      return createRef(ctx);
    });
    const syncA = syncPool({ ...h.deps, lease: a }, pool).then(
      () => "finished",
      (error: unknown) => error,
    );
    await paused;
    // Meanwhile A's lease expired and B took over with a larger fencing token, and did its own sync.
    await h.redis.del(`${h.prefix}lease:${duty}`);
    const other = new Redis(redisUrl(), { protocol: 2 });
    connections.push(other);
    const b = holdLease(other, h.prefix, duty, { ttlMs: 60_000 });
    leases.push(b);
    await waitFor(() => b.held, "B holds the lease");
    expect(b.token!).toBeGreaterThan(a.token!);
    await harness.sync({ ...h.deps, lease: b });
    const written = await h.store.load(pool);
    expect(written.runs.map((r) => r.prs.map((p) => p.number))).toEqual([[1]]);
    // A wakes up and goes on with its stale view: its write is refused.
    release();
    expect(await syncA).toBeInstanceOf(LeaseLostError);
    expect(await h.store.load(pool)).toEqual(written);
    h.github.assertNoViolations();
  });

  it("merges recovered after a crash join the lineage: runs in flight that contain them go on; stray staging branches are deleted", async () => {
    h = await startPoolHarness();
    for (const n of [1, 2, 3]) await h.seedPr(n);
    await h.sync();
    const runs = h.stagingRuns();
    expect(runs.map((r) => r.prs.join())).toEqual(["1", "1,2", "1,2,3"]);
    // GitHub merges #2 but the driver dies before it hears back (here: the answer never reaches it).
    const merge = githubRoutes["pulls/merge"]!;
    h.github.route("pulls/merge", async (ctx: RouteContext) => {
      const result = await merge(ctx);
      if (ctx.path.endsWith("/pulls/2/merge")) throw new GitHubError(502, "Server Error");
      return result;
    });
    await h.report(runs.find((r) => r.prs.join() === "1,2")!.sha, "success");
    await expect(syncPool(h.deps, pool)).rejects.toThrow();
    expect(h.github.state.pullRequest(repo, 2).merged).toBe(true);
    // A staging branch created just before the crash, which no saved run owns.
    h.github.state.git.setBranch(repo, "mario/queue/main/r99", runs[0]!.sha);
    const refsBefore = h.github.requestsFor("git/create-ref").length;

    // The next driver recovers the merge from GitHub and reconciles.
    await syncPool(h.deps, pool, { deep: true });
    await h.sync();
    const deep = runs.find((r) => r.prs.join() === "1,2,3")!;
    expect(h.stagingRuns().map((r) => r.sha)).toContain(deep.sha);
    expect(h.stagingRuns().map((r) => r.branch)).not.toContain("mario/queue/main/r99");
    const history = await h.history();
    expect(history.some((e) => e.action === "merged" && e.prs.includes(2) && e.detail.includes("recovered from GitHub"))).toBe(true);
    // #1 merged before the crash: the history (and with it /metrics and the notifications) tells it once.
    expect(history.filter((e) => e.action === "merged" && e.prs.includes(1)).map((e) => e.detail)).toEqual([`merged as ${h.github.state.pullRequest(repo, 1).mergeCommitSha!.slice(0, 7)} (recorded late: the sync that merged it stopped before recording it)`]);
    expect(history.filter((e) => e.action === "cancelled" && e.prs.includes(3))).toEqual([]);
    // #3 merges on the run that was already in flight: no staging commit was built again.
    await h.report(deep.sha, "success");
    await h.sync();
    expect(h.github.state.pullRequest(repo, 3).merged).toBe(true);
    expect(h.github.requestsFor("git/create-ref").length).toBe(refsBefore);
    expect([...h.github.state.git.commit(repo, h.main()).content.keys()].sort()).toEqual([1, 2, 3]);
    h.github.assertNoViolations();
  });
});
