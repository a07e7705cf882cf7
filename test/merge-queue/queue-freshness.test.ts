import { afterEach, describe, expect, it } from "vitest";
import { applyBasePush } from "../../src/merge-queue/base-push.js";
import { protectedContexts } from "../fakes/fake-github.js";
import { pool, repo, startPoolHarness, type PoolHarness } from "./pool-harness.js";

let h: PoolHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const hour = 3_600_000;
const merged = (n: number) => h!.github.state.pullRequest(repo, n).merged;
/** Staging branches mario created (each is one CI run on a combination). */
const stagingRefs = () => h!.github.requestsFor("git/create-ref").filter((r) => String((r.body as { ref?: string }).ref).startsWith("refs/heads/mario/queue/main/")).length;
const queueStatus = (n: number) => h!.github.state.statuses(repo, h!.github.state.pullRequest(repo, n).head.sha).filter((s) => s.context === "mario/merge-queue").at(-1);

/** Someone pushes to main (its webhook handled as mario's push handler does). */
async function pushToMain(h: PoolHarness): Promise<string> {
  const before = h.main();
  const after = h.github.state.newSha();
  h.github.state.git.setBranch(repo, "main", after);
  await applyBasePush(h.store, pool, before, after);
  await h.sync();
  return after;
}

describe("merge queue freshness: how old a base a lone PR's own results may have run on", () => {
  it("current-base (default): checks that ran on the current base (BaseSHA) merge without a retest; others are retested", async () => {
    h = await startPoolHarness();
    await h.sync();
    await h.seedPr(1, { description: `passed BaseSHA:${h.main()}` });
    await h.sync();
    expect(merged(1)).toBe(true);
    expect(stagingRefs()).toBe(0);
    expect((await h.history()).find((e) => e.action === "merged")!.detail).toContain("its checks ran on this base");
    // #2's checks ran on the base before #1 merged: retested on a staging commit first.
    await h.seedPr(2, { description: `passed BaseSHA:${h.github.state.pullRequest(repo, 1).base.sha}` });
    await h.sync();
    expect(merged(2)).toBe(false);
    expect(h.stagingRuns().map((r) => r.prs.join())).toEqual(["1,2"]);
    h.github.assertNoViolations();
  });

  it("any-base: a lone PR's green checks count whatever base they ran on", async () => {
    h = await startPoolHarness({ freshness: "any-base" });
    await h.seedPr(1);
    await h.sync();
    expect(merged(1)).toBe(true);
    expect(stagingRefs()).toBe(0);
    h.github.assertNoViolations();
  });

  it("a duration (24h): results on a base that was the branch head within the last 24 h count; older ones are retested", async () => {
    h = await startPoolHarness({ freshness: "24h" });
    await h.sync();
    const b0 = h.main();
    const b1 = await pushToMain(h); // b0 stopped being the head now
    h.clock.now += hour;
    await h.seedPr(1, { description: `passed BaseSHA:${b0}` });
    await h.sync();
    expect(merged(1)).toBe(true);
    expect(stagingRefs()).toBe(0);
    // b1 stopped being the head when #1 merged; 30 hours later its results are too old.
    h.clock.now += 30 * hour;
    await h.seedPr(2, { description: `passed BaseSHA:${b1}` });
    await h.sync();
    expect(merged(2)).toBe(false);
    expect(stagingRefs()).toBe(1);
    h.github.assertNoViolations();
  });

  it("fromBranchProtection: the contexts branch protection requires are required too, on the PR and on staging commits", async () => {
    h = await startPoolHarness({ fromBranchProtection: true });
    protectedContexts.set(h.github.state.repo(repo), new Map([["main", ["ci/lint"]]]));
    const pr = await h.seedPr(1);
    await h.sync();
    expect(queueStatus(1)?.description).toBe("Waiting for job ci/lint");
    await h.report(pr.head.sha, "success", { context: "ci/lint" });
    await h.sync();
    const [run] = h.stagingRuns();
    expect(run?.prs).toEqual([1]);
    await h.report(run!.sha, "success");
    await h.sync();
    expect(merged(1)).toBe(false);
    await h.report(run!.sha, "success", { context: "ci/lint" });
    await h.sync();
    expect(merged(1)).toBe(true);
    h.github.assertNoViolations();
  });
});
