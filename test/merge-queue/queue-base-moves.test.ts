import { afterEach, describe, expect, it } from "vitest";
import { applyBasePush } from "../../src/merge-queue/base-push.js";
import { syncPool } from "../../src/merge-queue/sync-pool.js";
import { githubRoutes, type RouteContext } from "../fakes/fake-github.js";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { pool, startPoolHarness, type PoolHarness } from "./pool-harness.js";
import { fakeCi, passedBeforeMerge, queueApi, queueConfig, seedReadyPrs, sendPush, pushToMain, stagingRuns } from "./queue-support.js";

let t: TestMario | undefined;
let h: PoolHarness | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await h?.close();
  h = undefined;
});

const merged = (n: number) => t!.github.state.pullRequest(repo, n).merged;
const mergeCommit = (n: number) => t!.github.state.pullRequest(repo, n).mergeCommitSha!;
const contentOfMain = () => [...t!.github.state.git.commit(repo, t!.github.state.git.branch(repo, "main")!).content.keys()].sort((a, b) => a - b);

describe("the merge queue when the base branch moves", () => {
  it("a late push webhook for a commit mario merged earlier does not move the base back", async () => {
    t = await startTestMario({ config: queueConfig() });
    const base0 = t.github.state.git.branch(repo, "main")!;
    // Only a staging commit of both PRs passes, so #1 and #2 merge as one batch: main goes base0 → mA → mB.
    const ci = fakeCi(t, (prs) => (prs.length >= 2 ? false : undefined));
    await seedReadyPrs(t, [1, 2]);
    await waitFor(() => merged(1) && merged(2), "#1 and #2 merged");
    // GitHub delivers the push for mA after mario knows mB.
    await sendPush(t, base0, mergeCommit(1));
    await settle(300);
    await seedReadyPrs(t, [3]);
    await waitFor(() => merged(3), "#3 merged");
    ci.stop();
    // main holds 1, 2, 3, and exactly that combination passed before #3 merged; {1, 3} was never a candidate.
    expect(contentOfMain()).toEqual([1, 2, 3]);
    expect(passedBeforeMerge(ci, t, [1, 2, 3], 3)).toBe(true);
    expect(ci.log.some((a) => a.prs.join() === "1,3")).toBe(false);
    t.github.assertNoViolations();
  });

  it("a force-push back onto a commit mario merged is read from GitHub: PRs are tested on where main really is", async () => {
    t = await startTestMario({ config: queueConfig() });
    const ci = fakeCi(t, (prs) => (prs.length >= 2 ? false : undefined));
    await seedReadyPrs(t, [1, 2]);
    await waitFor(() => merged(1) && merged(2), "#1 and #2 merged");
    // Someone force-pushes main back to mA, dropping #2.
    t.github.state.git.setBranch(repo, "main", mergeCommit(1));
    const answeredBefore = ci.log.length;
    await sendPush(t, mergeCommit(2), mergeCommit(1), { forced: true });
    await settle(300);
    await seedReadyPrs(t, [3]);
    await waitFor(() => merged(3), "#3 merged");
    ci.stop();
    expect(contentOfMain()).toEqual([1, 3]);
    expect(ci.log.slice(answeredBefore).map((a) => a.prs.join())).toEqual(["1,3"]);
    t.github.assertNoViolations();
  });

  it("mario's own merges and their push webhooks leave the runs in flight that contain them alone", async () => {
    t = await startTestMario({ config: queueConfig() });
    const base0 = t.github.state.git.branch(repo, "main")!;
    let phase = 1;
    // Phase 1: only the staging commit of exactly #1 and #2 passes; the deeper ones stay pending.
    const ci = fakeCi(t, (prs) => (phase === 1 ? (prs.join() === "1,2" ? false : undefined) : false));
    await seedReadyPrs(t, [1, 2, 3, 4]);
    await waitFor(() => stagingRuns(t!).some((r) => r.prs.join() === "1,2,3,4"), "a run of all four in flight");
    await waitFor(() => merged(1) && merged(2), "#1 and #2 merged");
    const deeper = stagingRuns(t).filter((r) => r.prs.includes(3));
    expect(deeper.map((r) => r.prs.join())).toEqual(expect.arrayContaining(["1,2,3", "1,2,3,4"]));
    const stagingRefsBefore = t.github.requestsFor("git/create-ref").length;
    // The push webhooks for the two merges, in order.
    await sendPush(t, base0, mergeCommit(1));
    await sendPush(t, mergeCommit(1), mergeCommit(2));
    await settle(500);
    // The runs of {1,2,3} and {1,2,3,4} are still in flight: nothing was cancelled or rebuilt.
    for (const run of deeper) expect(stagingRuns(t).some((r) => r.sha === run.sha), `run ${run.prs.join()} still in flight`).toBe(true);
    const history = (await queueApi(t)).body.history!;
    expect(history.filter((h) => h.action === "cancelled" && (h.prs.includes(3) || h.prs.includes(4)))).toEqual([]);
    phase = 2;
    await waitFor(() => merged(3) && merged(4), "#3 and #4 merged on the runs already in flight");
    ci.stop();
    expect(t.github.requestsFor("git/create-ref").length).toBe(stagingRefsBefore);
    expect(contentOfMain()).toEqual([1, 2, 3, 4]);
    t.github.assertNoViolations();
  });

  it("a push by someone else while a batch runs stops the runs on the old base and retests on the new one", async () => {
    t = await startTestMario({ config: queueConfig() });
    let answering = false;
    const ci = fakeCi(t, () => (answering ? false : undefined));
    await seedReadyPrs(t, [1, 2]);
    const old = await waitFor(() => stagingRuns(t!).find((r) => r.prs.join() === "1,2"), "the batch in flight");
    const { before, after } = pushToMain(t);
    await sendPush(t, before, after);
    await waitFor(() => !stagingRuns(t!).some((r) => r.sha === old.sha), "the run on the old base stopped");
    answering = true;
    await waitFor(() => merged(1) && merged(2), "both merged");
    ci.stop();
    expect(contentOfMain()).toEqual([1, 2, 99]);
    expect(passedBeforeMerge(ci, t, [1, 2, 99], 2)).toBe(true);
    const history = (await queueApi(t)).body.history!;
    expect(history.some((h) => h.action === "cancelled" && h.detail === "the base branch moved")).toBe(true);
    t.github.assertNoViolations();
  });

  it("reads the branch before merging: a base that moved without a webhook is retested, not merged onto", async () => {
    t = await startTestMario({ config: queueConfig() });
    let answering = false;
    const ci = fakeCi(t, () => (answering ? false : undefined));
    await seedReadyPrs(t, [1]);
    await waitFor(() => stagingRuns(t!).some((r) => r.prs.join() === "1"), "#1 in flight");
    pushToMain(t); // its webhook is lost
    answering = true;
    await waitFor(() => merged(1), "#1 merged");
    ci.stop();
    expect(contentOfMain()).toEqual([1, 99]);
    expect(passedBeforeMerge(ci, t, [1, 99], 1)).toBe(true);
    const history = (await queueApi(t)).body.history!;
    expect(history.some((h) => h.action === "skipped" && /retesting on it/.test(h.detail))).toBe(true);
    t.github.assertNoViolations();
  });
});

describe("the stored base head when webhooks race the driver", () => {
  /** The next read of main answers as GitHub did, and a push happens (its webhook handled) before mario goes on. */
  function pushWhileReadingMain(harness: PoolHarness, marker: number) {
    const getBranch = githubRoutes["repos/get-branch"]!;
    let done = false;
    harness.github.route("repos/get-branch", async (ctx: RouteContext) => {
      const answer = await getBranch(ctx);
      if (!done) {
        done = true;
        const { before, after } = pushToMain(harness, marker);
        await applyBasePush(harness.store, pool, before, after);
      }
      return answer;
    });
  }

  it("a push while the driver reads a base in doubt keeps it in doubt: the PR is tested on where main really is", async () => {
    h = await startPoolHarness();
    await h.sync(); // the pool's snapshot, with main as it is
    // A force-push puts the stored head in doubt; the next sync reads main, and meanwhile main moves again.
    const forced = pushToMain(h, 98);
    await applyBasePush(h.store, pool, forced.before, forced.after, true);
    await h.seedPr(1);
    pushWhileReadingMain(h, 99);
    await h.sync();
    expect(h.stagingRuns().map((r) => r.prs)).toEqual([[1, 98, 99]]);
    h.github.assertNoViolations();
  });

  it("a push while the reconcile reads the pool is not undone by the older read", async () => {
    h = await startPoolHarness();
    await h.sync();
    await h.seedPr(1);
    pushWhileReadingMain(h, 99);
    await syncPool(h.deps, pool, { deep: true });
    await h.sync();
    expect(h.stagingRuns().map((r) => r.prs)).toEqual([[1, 99]]);
    h.github.assertNoViolations();
  });

  it("the push webhook of mario's own merge, handled before mario records the merge, costs no extra read of main", async () => {
    h = await startPoolHarness();
    const harness = h;
    const merge = githubRoutes["pulls/merge"]!;
    h.github.route("pulls/merge", async (ctx: RouteContext) => {
      const before = harness.main();
      const answer = await merge(ctx);
      await applyBasePush(harness.store, pool, before, harness.main());
      return answer;
    });
    await h.seedPr(1);
    await h.sync();
    for (const run of h.stagingRuns()) await h.report(run.sha, "success");
    await h.sync();
    expect(h.github.state.pullRequest(repo, 1).merged).toBe(true);
    const merged = h.github.requests.findIndex((r) => r.operationId === "pulls/merge" && r.status === 200);
    expect(h.github.requests.slice(merged).filter((r) => r.operationId === "repos/get-branch")).toEqual([]);
    h.github.assertNoViolations();
  });
});
