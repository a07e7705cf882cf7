import { afterEach, describe, expect, it } from "vitest";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { fakeCi, passedBeforeMerge, queueApi, queueConfig, queueStatus, seedReadyPrs, sendPullRequest, sendStatus, stagingRuns } from "./queue-support.js";

let t: TestMario | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const merged = (n: number) => t!.github.state.pullRequest(repo, n).merged;
const head = (n: number) => t!.github.state.pullRequest(repo, n).head.sha;
const statusPosts = (n: number) => t!.github.requestsFor("repos/create-commit-status").filter((r) => r.path.endsWith(`/statuses/${head(n)}`)).length;

describe("merge queue: what users see", () => {
  it("/api/queue shows the line, what waiting PRs miss, the runs in flight and the history", async () => {
    t = await startTestMario({ config: queueConfig() });
    await seedReadyPrs(t, [1, 2]);
    await seedReadyPrs(t, [3], { labels: ["lgtm"] });
    await waitFor(() => stagingRuns(t!).length === 2, "two runs in flight");
    const view = await waitFor(async () => {
      const r = await queueApi(t!);
      return (r.body.inFlight as unknown[] | undefined)?.length === 2 && (r.body.waiting as unknown[] | undefined)?.length === 2 ? r.body : undefined;
    }, "the pool's view");
    const runs = stagingRuns(t);
    expect(view).toMatchObject({
      pool: "octo/demo:main",
      baseSha: t.github.state.git.branch(repo, "main"),
      queue: [
        { number: 1, sha: head(1), position: 1, testing: true },
        { number: 2, sha: head(2), position: 2, testing: true },
      ],
      // #42 is the repository's other open PR, never labelled.
      waiting: [
        { number: 3, sha: head(3), missing: "Needs approved label", state: "pending" },
        { number: 42, sha: head(42), missing: "Needs lgtm, approved labels", state: "pending" },
      ],
    });
    expect(Date.parse(String(view.updatedAt))).not.toBeNaN();
    const inFlight = view.inFlight as { id: string; prs: number[]; sha: string; state: string; startedAt: string }[];
    expect(inFlight.map((r) => r.prs)).toEqual([[1], [1, 2]]);
    expect(inFlight.map((r) => r.sha).sort()).toEqual(runs.map((r) => r.sha).sort());
    for (const run of inFlight) {
      expect(run.state).toBe("pending");
      expect(Date.parse(run.startedAt)).not.toBeNaN();
    }
    expect(view.history!.map((h) => h.action)).toEqual(["batch", "retest"]);
    expect(view.history![1]).toMatchObject({ action: "retest", prs: [1] });
    const all = await queueApi(t, "/api/queue");
    expect(all.body.pools).toEqual([expect.objectContaining({ pool: "octo/demo:main", queue: view.queue, waiting: view.waiting })]);
    t.github.assertNoViolations();
  });

  it("writes a PR's status only when it changes", async () => {
    t = await startTestMario({ config: queueConfig() });
    await seedReadyPrs(t, [1]);
    await seedReadyPrs(t, [2], { labels: ["lgtm"] });
    await waitFor(() => queueStatus(t!, 1) && queueStatus(t!, 2), "both statuses written");
    await settle(300);
    const before = [statusPosts(1), statusPosts(2)];
    expect(Math.min(...before)).toBeGreaterThan(0);
    // Results of other contexts arrive: each makes the pool sync again, nothing the statuses say changes.
    for (let i = 0; i < 4; i++) {
      await sendStatus(t, head(1), "success", `ci/other-${i}`);
      await sendStatus(t, head(2), "pending", `ci/other-${i}`);
    }
    await settle(800);
    expect([statusPosts(1), statusPosts(2)]).toEqual(before);
    t.github.assertNoViolations();
  });

  for (const how of ["put on hold", "closed"] as const) {
    it(`a batch member ${how} during its batch leaves it; the rest is retested without it and merges`, async () => {
      t = await startTestMario({ config: queueConfig() });
      let answering = false;
      const ci = fakeCi(t, () => (answering ? false : undefined));
      await seedReadyPrs(t, [1, 2, 3]);
      await waitFor(() => stagingRuns(t!).some((r) => r.prs.join() === "1,2,3"), "a run of all three in flight");
      const withTwo = stagingRuns(t).filter((r) => r.prs.includes(2));
      const pr = t.github.state.pullRequest(repo, 2);
      if (how === "closed") {
        pr.state = "closed";
        await sendPullRequest(t, 2, "closed");
      } else {
        pr.labels.push("do-not-merge/hold");
        await sendPullRequest(t, 2, "labeled");
      }
      await waitFor(() => withTwo.every((run) => !stagingRuns(t!).some((r) => r.sha === run.sha)), "the runs containing #2 stopped");
      answering = true;
      await waitFor(() => merged(1) && merged(3), "#1 and #3 merged");
      ci.stop();
      expect(merged(2)).toBe(false);
      expect(passedBeforeMerge(ci, t, [1, 3], 3)).toBe(true);
      expect(ci.log.filter((a) => a.prs.includes(2))).toEqual([]);
      if (how !== "closed") expect(queueStatus(t, 2)?.description).toBe("Should not have do-not-merge/hold label");
      const history = (await queueApi(t)).body.history!;
      expect(history.some((h) => h.action === "cancelled" && h.detail === "#2 left the queue or was pushed to")).toBe(true);
      t.github.assertNoViolations();
    });
  }
});
