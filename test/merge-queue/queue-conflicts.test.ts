import { afterEach, describe, expect, it } from "vitest";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { startPoolHarness, type PoolHarness } from "./pool-harness.js";
import { fakeCi, pullRequestPayload, pushToMain, queueApi, queueConfig, queueStatus, seedReadyPrs, send, sendPullRequest, sendPush, sendStatus, stagingRuns } from "./queue-support.js";

let t: TestMario | undefined;
let h: PoolHarness | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await h?.close();
  h = undefined;
});

const merged = (n: number) => t!.github.state.pullRequest(repo, n).merged;
const labels = (n: number) => t!.github.state.labelsOn(repo, n);
/** GitHub reads of the PR alone: a snapshot entry in doubt costs one. */
const prReads = (n: number) => t!.github.requestsFor("pulls/get").filter((r) => r.path.endsWith(`/pulls/${n}`));
const statusesOf = (n: number) => t!.github.state.statuses(repo, t!.github.state.pullRequest(repo, n).head.sha).filter((s) => s.context === "mario/merge-queue");

/** #1 and #2 touch the same lines: #1 merges, #2 gets needs-rebase. */
async function conflictAfterFirstMerge(t: TestMario) {
  t.github.state.git.declareConflict(repo, 1, 2);
  const ci = fakeCi(t, () => false);
  await seedReadyPrs(t, [1, 2]);
  await waitFor(() => t.github.state.labelsOn(repo, 2).includes("needs-rebase") && t.github.state.comments(repo, 2).length > 0, "#2 needs a rebase");
  return ci;
}

/** The author fixed the conflict: git no longer sees one. */
const resolveConflict = (t: TestMario) => t.github.state.git.conflicts.splice(0);

describe("merge queue: conflicts and merges GitHub refuses", () => {
  it("a merge refused by a repository rule (not a conflict) removes the PR with GitHub's words; a label change brings it back", async () => {
    t = await startTestMario({ config: queueConfig() });
    const required = 'Required status check "ci/lint" is expected.';
    const review = "At least 1 approving review is required by reviewers with write access.";
    t.github.failNext({ operationId: "pulls/merge", path: /\/pulls\/1\/merge$/ }, { status: 405, body: { message: required } });
    t.github.failNext({ operationId: "pulls/merge", path: /\/pulls\/2\/merge$/ }, { status: 405, body: { message: review } });
    const ci = fakeCi(t, () => false);
    await seedReadyPrs(t, [1, 2, 3]);
    await waitFor(() => merged(3), "#3 merged", 20_000);
    await waitFor(() => queueStatus(t!, 1)?.state === "error" && queueStatus(t!, 2)?.state === "error", "#1 and #2 refused");
    expect([merged(1), merged(2)]).toEqual([false, false]);
    for (const [n, message] of [[1, required], [2, review]] as const) {
      expect(labels(n)).not.toContain("needs-rebase");
      const comments = t.github.state.comments(repo, n);
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toContain(message);
      expect(comments[0]!.body).toContain("left the merge queue");
      expect(queueStatus(t, n)?.description).toBe(`GitHub refused to merge it: ${message}`);
    }
    const history = (await queueApi(t)).body.history!;
    expect(history.filter((h) => h.action === "removed").map((h) => h.prs[0]).sort()).toEqual([1, 2]);
    expect(history.find((h) => h.action === "removed" && h.prs[0] === 1)!.detail).toContain(required);

    // An admin fixed the rule; someone puts #1 on hold and releases it: it is tried again and merges.
    const pr = t.github.state.pullRequest(repo, 1);
    pr.labels.push("do-not-merge/hold");
    await sendPullRequest(t, 1, "labeled");
    pr.labels = pr.labels.filter((l) => l !== "do-not-merge/hold");
    await sendPullRequest(t, 1, "unlabeled");
    await waitFor(() => merged(1), "#1 merged once the rule was fixed", 15_000);
    ci.stop();
    expect(t.github.state.comments(repo, 1)).toHaveLength(1);
    t.github.assertNoViolations();
  });

  it("a conflict gets needs-rebase with its configured colour and description; mario's own label edit costs no re-read of the PR", async () => {
    t = await startTestMario({ config: queueConfig() });
    const ci = await conflictAfterFirstMerge(t);
    await waitFor(() => queueStatus(t!, 2)?.description === "Merge conflict: rebase needed", "#2's conflict status");
    await settle(500);
    ci.stop();
    expect(t.github.state.repoLabels(repo).find((l) => l.name === "needs-rebase")).toMatchObject({ color: "e11d21", description: "Conflicts with its base branch; rebase it." });
    expect(prReads(2)).toEqual([]);
    t.github.assertNoViolations();
  });

  it("removes needs-rebase when a push makes the PR merge cleanly, and the PR comes back", async () => {
    t = await startTestMario({ config: queueConfig() });
    const ci = await conflictAfterFirstMerge(t);
    expect(t.github.state.comments(repo, 2).at(-1)!.body).toContain("does not merge cleanly");
    const removed = await waitFor(async () => (await queueApi(t!)).body.history!.find((h) => h.action === "removed" && h.prs.includes(2)), "#2's removal in the history");
    expect(removed.detail).toBe("merge conflict with main: needs a rebase");
    // The author rebases: a new head that merges cleanly; the push also drops lgtm (the tree changed).
    resolveConflict(t);
    const before = t.github.state.pullRequest(repo, 2).head.sha;
    const head = t.github.state.pushToPullRequest(repo, 2);
    Object.assign(t.github.state.pullRequest(repo, 2), { mergeable: true, mergeableState: "clean" });
    await sendStatus(t, head, "success");
    await sendPullRequest(t, 2, "synchronize", { before });
    await waitFor(() => !labels(2).includes("needs-rebase"), "needs-rebase removed by mario");
    await waitFor(() => queueStatus(t!, 2)?.description === "Needs lgtm label", "#2 waits for lgtm again");

    t.github.state.pullRequest(repo, 2).labels.push("lgtm");
    await sendPullRequest(t, 2, "labeled");
    await waitFor(() => merged(2), "#2 merged");
    ci.stop();
    t.github.assertNoViolations();
  });

  it("removing needs-rebase from a PR that merges cleanly costs no re-read of the PR", async () => {
    h = await startPoolHarness();
    await h.seedPr(1, { labels: ["lgtm", "approved", "needs-rebase"] });
    await h.sync();
    expect(h.github.state.labelsOn(repo, 1)).not.toContain("needs-rebase");
    expect(h.stagingRuns().map((r) => r.prs)).toEqual([[1]]);
    expect(h.github.requestsFor("pulls/get")).toEqual([]);
    h.github.assertNoViolations();
  });

  it("removes needs-rebase when GitHub reports the PR mergeable again after the base changed", async () => {
    t = await startTestMario({ config: queueConfig() });
    const ci = await conflictAfterFirstMerge(t);
    // Someone reverted the conflicting lines on main; GitHub recomputes mergeability and says so in a payload.
    resolveConflict(t);
    const { before, after } = pushToMain(t);
    await sendPush(t, before, after);
    Object.assign(t.github.state.pullRequest(repo, 2), { mergeable: true, mergeableState: "clean" });
    await send(t, "pull_request", pullRequestPayload(t, 2, "edited"));
    await waitFor(() => !labels(2).includes("needs-rebase"), "needs-rebase removed by mario");
    await waitFor(() => merged(2), "#2 merged without a push");
    ci.stop();
    t.github.assertNoViolations();
  });

  it("a PR GitHub reports as not mergeable says so and never enters a batch", async () => {
    t = await startTestMario({ config: queueConfig("  maxInFlight: 1\n") });
    let answering = false;
    const ci = fakeCi(t, () => (answering ? false : undefined));
    await seedReadyPrs(t, [1]);
    await waitFor(() => stagingRuns(t!).length > 0, "#1 in flight");
    await seedReadyPrs(t, [2], { pr: { mergeable: false, mergeableState: "dirty" } });
    await waitFor(() => queueStatus(t!, 2), "#2's status");
    expect(queueStatus(t, 2)).toMatchObject({ state: "error", description: "Merge conflict: rebase needed" });
    answering = true;
    await waitFor(() => merged(1), "#1 merged");
    ci.stop();
    expect(statusesOf(2).map((s) => s.description)).toEqual(["Merge conflict: rebase needed"]);
    expect(ci.log.every((a) => !a.prs.includes(2))).toBe(true);
    expect(merged(2)).toBe(false);
    t.github.assertNoViolations();
  });
});
