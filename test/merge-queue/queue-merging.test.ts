import { afterEach, describe, expect, it } from "vitest";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { fakeCi, mergeRequestIndex, queueApi, queueConfig, queueStatus, seedReadyPrs } from "./queue-support.js";

let t: TestMario | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const merged = (n: number) => t!.github.state.pullRequest(repo, n).merged;
const mergeRequests = (n: number) => t!.github.requestsFor("pulls/merge").filter((r) => r.path.endsWith(`/pulls/${n}/merge`));
type MergeBody = { sha?: string; merge_method?: string; commit_title?: string; commit_message?: string };

describe("merge queue: how PRs are merged", () => {
  it("uses the configured method, a PR's override label, and the commit templates with the PR's body", async () => {
    t = await startTestMario({
      config: queueConfig(`  maxInFlight: 1
  maxBatchSize: 1
  method: squash
  commitTitle: "{{pr.title}} (#{{pr.number}})"
  commitBody: "{{pr.body}}\\n\\nby @{{pr.author}} from {{pr.headRef}}"
`),
    });
    const ci = fakeCi(t, () => false);
    await seedReadyPrs(t, [1], { pr: { body: "Fixes the flaky login test." } });
    await seedReadyPrs(t, [2], { labels: ["lgtm", "approved", "merge-method/rebase"], pr: { body: "Second change." } });
    await waitFor(() => merged(1) && merged(2), "both merged");
    ci.stop();
    const [one] = mergeRequests(1).map((r) => r.body as MergeBody);
    const [two] = mergeRequests(2).map((r) => r.body as MergeBody);
    expect(one).toMatchObject({ merge_method: "squash", commit_title: "Change 1 (#1)", commit_message: "Fixes the flaky login test.\n\nby @carol from feature-1" });
    expect(two).toMatchObject({ merge_method: "rebase", commit_title: "Change 2 (#2)", commit_message: "Second change.\n\nby @carol from feature-2" });
    t.github.assertNoViolations();
  });

  it("a PR with two merge-method labels stays out of the queue with a clear status", async () => {
    t = await startTestMario({ config: queueConfig() });
    const ci = fakeCi(t, () => false);
    await seedReadyPrs(t, [1], { labels: ["lgtm", "approved", "merge-method/squash", "merge-method/rebase"] });
    await seedReadyPrs(t, [2]);
    await waitFor(() => merged(2), "#2 merged");
    ci.stop();
    expect(merged(1)).toBe(false);
    expect(queueStatus(t, 1)?.description).toBe("Has 2 merge-method labels (merge-method/squash, merge-method/rebase); keep one");
    expect(ci.log.every((a) => !a.prs.includes(1))).toBe(true);
    t.github.assertNoViolations();
  });

  it('retries "base branch modified" with backoff and merges', async () => {
    t = await startTestMario({ config: queueConfig() });
    t.github.failNext({ operationId: "pulls/merge" }, { status: 405, body: { message: "Base branch was modified. Review and try the merge again." } }, 2);
    const ci = fakeCi(t, () => false);
    await seedReadyPrs(t, [1]);
    await waitFor(() => merged(1), "#1 merged");
    ci.stop();
    expect(mergeRequests(1).map((r) => r.status)).toEqual([405, 405, 200]);
    expect(t.github.state.labelsOn(repo, 1)).not.toContain("needs-rebase");
    expect(t.github.state.comments(repo, 1)).toEqual([]);
    t.github.assertNoViolations();
  });

  it('says "Merging…" on the PR head before asking GitHub to merge it', async () => {
    t = await startTestMario({ config: queueConfig() });
    const ci = fakeCi(t, () => false);
    await seedReadyPrs(t, [1]);
    await waitFor(() => merged(1), "#1 merged");
    ci.stop();
    const head = t.github.state.pullRequest(repo, 1).head.sha;
    const merging = t.github.requests.findIndex((r) => r.operationId === "repos/create-commit-status" && r.path.endsWith(`/statuses/${head}`) && (r.body as { description?: string }).description === "Merging…");
    expect(merging).toBeGreaterThanOrEqual(0);
    expect(merging).toBeLessThan(mergeRequestIndex(t, 1));
    expect(queueStatus(t, 1)).toMatchObject({ state: "success", description: "Merging…" });
    t.github.assertNoViolations();
  });

  it("an authorization error in the middle of a batch merge stops the pool: what merged stays, nothing more is tried", async () => {
    t = await startTestMario({ config: queueConfig() });
    t.github.failNext({ operationId: "pulls/merge", path: /\/pulls\/2\/merge$/ }, { status: 403, body: { message: "Resource not accessible by integration" } });
    // Only the staging commit of all three passes, so they merge as one batch.
    const ci = fakeCi(t, (prs) => (prs.length === 3 ? false : undefined));
    await seedReadyPrs(t, [1, 2, 3]);
    await waitFor(async () => (await queueApi(t!)).body.stopped, "pool stopped");
    await waitFor(() => queueStatus(t!, 3)?.description?.startsWith("Merge queue stopped"), "#3 says the queue stopped");
    await settle(500);
    ci.stop();
    expect([merged(1), merged(2), merged(3)]).toEqual([true, false, false]);
    expect(mergeRequests(3)).toEqual([]);
    expect(queueStatus(t, 2)?.description).toMatch(/^Merge queue stopped/);
    const api = await queueApi(t);
    expect(String(api.body.stopped)).toContain("Resource not accessible by integration");
    expect(api.body.history!.some((h) => h.action === "stopped" && h.prs.includes(2))).toBe(true);
    t.github.assertNoViolations();
  });
});
