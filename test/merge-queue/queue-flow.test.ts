import { afterEach, describe, expect, it } from "vitest";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { githubRoutes } from "../fakes/fake-github.js";
import { fakeCi, passedBeforeMerge, queueApi, queueConfig, queueStatus, seedReadyPrs, sendPullRequest, sendStatus, stagingRuns } from "./queue-support.js";

let t: TestMario | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const merged = (n: number) => t!.github.state.pullRequest(repo, n).merged;

describe("merge queue", () => {
  it("tests ready PRs together on a staging commit and merges them when it passes", async () => {
    t = await startTestMario({ config: queueConfig() });
    await seedReadyPrs(t, [1, 2]);
    const run = await waitFor(() => stagingRuns(t!).find((r) => r.prs.length === 2), "a staging commit with both PRs");
    // Speculation: #1 alone on the base, and #1+#2 on top of it; the status says which.
    await waitFor(() => queueStatus(t!, 1)?.description === "Retesting against the current base: ci/test", "#1's status");
    await waitFor(() => queueStatus(t!, 2)?.description === "In merge queue, position 2 of 2", "#2's status");
    expect(merged(1)).toBe(false);
    await sendStatus(t, run.sha, "success");
    await waitFor(() => merged(1) && merged(2), "both PRs merged");
    const main = t.github.state.git.branch(repo, "main")!;
    expect([...t.github.state.git.commit(repo, main).content.keys()].sort()).toEqual([1, 2]);
    // Merged with the tested head: pulls/merge got `sha`.
    for (const r of t.github.requestsFor("pulls/merge")) expect((r.body as { sha?: string }).sha).toMatch(/^[0-9a-f]{40}$/);
    const api = await waitFor(async () => {
      const r = await queueApi(t!);
      return r.body.history?.some((h) => h.action === "merged") ? r : undefined;
    }, "history written");
    expect(api.status).toBe(200);
    expect(api.body.history!.map((h) => h.action)).toEqual(expect.arrayContaining(["batch", "retest", "passed", "merged"]));
    const all = await queueApi(t, "/api/queue");
    expect((all.body.pools as { pool: string }[]).map((p) => p.pool)).toContain("octo/demo:main");
    await waitFor(async () => !stagingRuns(t!).length, "staging branches cleaned up");
    t.github.assertNoViolations();
  });

  it("keeps PRs that miss a label, are on hold, drafts or red out of the batch, and says what is missing", async () => {
    t = await startTestMario({ config: queueConfig() });
    await seedReadyPrs(t, [1]);
    await seedReadyPrs(t, [2], { labels: ["lgtm"] });
    await seedReadyPrs(t, [3], { labels: ["lgtm", "approved", "do-not-merge/hold"] });
    await seedReadyPrs(t, [4], { green: false });
    await seedReadyPrs(t, [5], { pr: { draft: true, mergeableState: "draft" } });
    const ci = fakeCi(t, () => false);
    await waitFor(() => merged(1), "#1 merged alone");
    await waitFor(() => queueStatus(t!, 5), "the draft's status");
    ci.stop();
    // Only #1 was ever part of a staging commit (main holds #1 once it merged).
    expect(ci.log.length).toBeGreaterThan(0);
    for (const answer of ci.log) expect(answer.prs).toEqual([1]);
    expect(queueStatus(t, 5)?.description).toBe("Draft: mark it ready for review to enter the merge queue");
    expect(queueStatus(t, 2)?.description).toBe("Needs approved label");
    expect(queueStatus(t, 3)?.description).toBe("Should not have do-not-merge/hold label");
    expect(queueStatus(t, 4)?.description).toBe("Waiting for job ci/test");
    expect([2, 3, 4, 5].some(merged)).toBe(false);
    t.github.assertNoViolations();
  });

  it("bisects a failed batch: the bad PR leaves with a comment naming the job, the others merge", async () => {
    // One run at a time, so the four PRs go as one batch that must be split.
    t = await startTestMario({ config: queueConfig("  maxInFlight: 1\n") });
    const ci = fakeCi(t, (prs) => prs.includes(2));
    await seedReadyPrs(t, [1, 2, 3, 4]);
    await waitFor(() => merged(1) && merged(3) && merged(4), "the good PRs merged", 15_000);
    ci.stop();
    expect(merged(2)).toBe(false);
    const comment = t.github.state.comments(repo, 2).at(-1)!;
    expect(comment.body).toContain("left the merge queue");
    expect(comment.body).toContain("`ci/test`");
    expect(comment.body).toContain("https://ci.example.test/");
    expect(queueStatus(t, 2)).toMatchObject({ state: "failure", description: "Job ci/test failed in the merge queue; push a fix" });
    await waitFor(async () => {
      const actions = (await queueApi(t!)).body.history!.map((h) => h.action);
      return ["failed", "split", "removed"].every((a) => actions.includes(a));
    }, "history of the bisection");
    t.github.assertNoViolations();
  });

  it("stops a batch when a member is pushed to, and retests the rest without it", async () => {
    t = await startTestMario({ config: queueConfig() });
    await seedReadyPrs(t, [1, 2]);
    const first = await waitFor(() => stagingRuns(t!).find((r) => r.prs.length === 2), "batch of 2");
    t.github.state.pushToPullRequest(repo, 1);
    await sendPullRequest(t, 1, "synchronize", { before: "0".repeat(40) });
    await waitFor(() => !stagingRuns(t!).some((r) => r.sha === first.sha), "the batch's staging branch deleted");
    // The push also removed lgtm (the tree changed), which is now the one next thing #1 misses.
    await waitFor(() => queueStatus(t!, 1)?.description === "Needs lgtm label", "the pushed PR is out of the queue");
    const ci = fakeCi(t, () => false);
    await waitFor(() => merged(2), "#2 merged without #1");
    ci.stop();
    expect(merged(1)).toBe(false);
    t.github.assertNoViolations();
  });

  it("skips a PR that became unmergeable in the middle of a batch merge; the rest is retested, not merged untested", async () => {
    t = await startTestMario({ config: queueConfig() });
    // #1's merge makes #2 conflict with main (GitHub answers 405 for #2); only the batch of all three passes at first.
    const merge = githubRoutes["pulls/merge"]!;
    t.github.route("pulls/merge", (ctx) => {
      const result = merge(ctx);
      if (ctx.path.endsWith("/pulls/1/merge")) Object.assign(t!.github.state.pullRequest(repo, 2), { mergeable: false, mergeableState: "dirty" });
      return result;
    });
    const ci = fakeCi(t, (prs) => (prs.length === 3 || merged(1) ? false : undefined));
    await seedReadyPrs(t, [1, 2, 3]);
    await waitFor(() => merged(1) && merged(3), "#1 and #3 merged", 15_000);
    ci.stop();
    expect(merged(2)).toBe(false);
    expect(t.github.state.labelsOn(repo, 2)).toContain("needs-rebase");
    expect(t.github.state.comments(repo, 2).at(-1)!.body).toContain("does not merge cleanly");
    // #3 was tested again without #2 before it merged: a staging commit of exactly {1, 3} passed first.
    expect(passedBeforeMerge(ci, t, [1, 3], 3)).toBe(true);
    t.github.assertNoViolations();
  });

  it("stops the pool on an authorization error and says so", async () => {
    t = await startTestMario({ config: queueConfig() });
    t.github.failNext({ operationId: "pulls/merge" }, { status: 403, body: { message: "Resource not accessible by integration" } });
    const ci = fakeCi(t, () => false);
    await seedReadyPrs(t, [1]);
    await waitFor(async () => (await queueApi(t!)).body.stopped, "pool stopped");
    ci.stop();
    expect(merged(1)).toBe(false);
    expect(String((await queueApi(t)).body.stopped)).toContain("Resource not accessible");
    await waitFor(() => queueStatus(t!, 1)?.description?.startsWith("Merge queue stopped"), "status says stopped");
    t.github.assertNoViolations();
  });

  it("never batches PRs that conflict; the later one gets needs-rebase once the first merged", async () => {
    t = await startTestMario({ config: queueConfig() });
    t.github.state.git.declareConflict(repo, 1, 2);
    const ci = fakeCi(t, () => false);
    await seedReadyPrs(t, [1, 2]);
    await waitFor(() => merged(1), "#1 merged");
    await waitFor(() => t!.github.state.labelsOn(repo, 2).includes("needs-rebase"), "#2 needs a rebase");
    ci.stop();
    expect(stagingRuns(t).every((r) => !(r.prs.includes(1) && r.prs.includes(2)))).toBe(true);
    expect(t.github.state.repoLabels(repo).find((l) => l.name === "needs-rebase")?.color).toBe("e11d21");
    await waitFor(() => queueStatus(t!, 2)?.description === "Merge conflict: rebase needed", "conflict status");
    t.github.assertNoViolations();
  });

  it("lets a priority label jump the line", async () => {
    t = await startTestMario({ config: queueConfig("  priorityLabels: [priority/critical]\n  maxInFlight: 1\n  maxBatchSize: 1\n") });
    const order: number[] = [];
    const ci = fakeCi(t, () => false);
    await seedReadyPrs(t, [1, 2]);
    await seedReadyPrs(t, [3], { labels: ["lgtm", "approved", "priority/critical"] });
    await waitFor(() => [1, 2, 3].every(merged), "all merged", 15_000);
    ci.stop();
    for (const r of t.github.requestsFor("pulls/merge")) order.push(Number(/pulls\/(\d+)\/merge/.exec(r.path)![1]));
    expect(order.indexOf(3)).toBeLessThan(order.indexOf(2));
    t.github.assertNoViolations();
  });

  it("recovers from a crash in the middle of a merge without merging anything twice", async () => {
    t = await startTestMario({ config: queueConfig() });
    await seedReadyPrs(t, [1, 2], { green: false });
    await waitFor(() => queueStatus(t!, 1) && queueStatus(t!, 2), "the pool synced once");
    await settle(300);
    // The driver decided to merge #1 and #2 and died after GitHub merged #1.
    const pr1 = t.github.state.pullRequest(repo, 1);
    Object.assign(pr1, { merged: true, state: "closed" });
    const { poolStore } = await import("../../src/merge-queue/pool-store.js");
    const { Redis } = await import("ioredis");
    const { redisUrl } = await import("../support/test-redis.js");
    const redis = new Redis(redisUrl(), { protocol: 2 });
    const store = poolStore(redis, `${t.prefix}:`);
    const pool = { owner: "octo", repo: "demo", branch: "main" };
    const state = await store.load(pool);
    state.merging = { baseSha: "0".repeat(40), prs: [{ number: 1, sha: pr1.head.sha }, { number: 2, sha: t.github.state.pullRequest(repo, 2).head.sha }], done: [], at: Date.now() };
    await store.save(pool, state);
    await sendStatus(t, t.github.state.pullRequest(repo, 2).head.sha, "success");
    const ci = fakeCi(t, () => false);
    await waitFor(() => merged(2), "#2 retested and merged");
    ci.stop();
    redis.disconnect();
    expect(t.github.requestsFor("pulls/merge").filter((r) => r.path.endsWith("/pulls/1/merge"))).toHaveLength(0);
    await waitFor(async () => (await queueApi(t!)).body.history!.some((h) => h.detail.includes("recovered from GitHub")), "recovery in the history");
    t.github.assertNoViolations();
  });
});
