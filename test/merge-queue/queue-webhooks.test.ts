import { afterEach, describe, expect, it } from "vitest";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { fakeCi, pullRequestPayload, queueApi, queueConfig, queueStatus, seedReadyPrs, send, sendPullRequest, sendStatus } from "./queue-support.js";

let t: TestMario | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const merged = (n: number) => t!.github.state.pullRequest(repo, n).merged;
const mergeAttempts = (n: number) => t!.github.requestsFor("pulls/merge").filter((r) => r.path.endsWith(`/pulls/${n}/merge`));

describe("the merge queue with late, lost or out-of-order webhooks", () => {
  it("a stale pull_request payload for a merged PR does not put it back in the queue", async () => {
    t = await startTestMario({ config: queueConfig() });
    const ci = fakeCi(t, () => false);
    await seedReadyPrs(t, [1]);
    const stale = pullRequestPayload(t, 1, "labeled"); // delivered late, after the merge
    await waitFor(() => merged(1), "#1 merged");
    await send(t, "pull_request", stale);
    await settle(300);
    await seedReadyPrs(t, [2]);
    await waitFor(() => merged(2), "#2 merged");
    await settle(300);
    ci.stop();
    // #1 was never retested nor merged again: no 405, no needs-rebase, no comment.
    expect(mergeAttempts(1)).toHaveLength(1);
    expect(t.github.state.labelsOn(repo, 1)).not.toContain("needs-rebase");
    expect(t.github.state.comments(repo, 1)).toEqual([]);
    const view = (await queueApi(t)).body as { queue: { number: number }[]; waiting: { number: number }[] };
    expect([...view.queue, ...view.waiting].map((p) => p.number)).not.toContain(1);
    t.github.assertNoViolations();
  });

  it("an older payload that arrives after a newer one does not undo it", async () => {
    t = await startTestMario({ config: queueConfig() });
    const ci = fakeCi(t, () => false);
    const pr = t.github.state.addPullRequest(repo, { number: 1, user: "carol", title: "Change 1", labels: ["lgtm", "approved"], base: { sha: t.github.state.git.branch(repo, "main")!, ref: "main" } });
    pr.updatedAt = "2030-01-01T00:00:00Z";
    const older = pullRequestPayload(t, 1, "labeled");
    // Then someone put it on hold: the newer payload arrives first.
    pr.labels.push("do-not-merge/hold");
    pr.updatedAt = "2030-01-01T00:00:05Z";
    await sendStatus(t, pr.head.sha, "success");
    await sendPullRequest(t, 1, "labeled");
    await waitFor(() => queueStatus(t!, 1)?.description === "Should not have do-not-merge/hold label", "#1 on hold");
    await send(t, "pull_request", older);
    await settle(800);
    ci.stop();
    expect(merged(1)).toBe(false);
    expect(queueStatus(t, 1)?.description).toBe("Should not have do-not-merge/hold label");
    t.github.assertNoViolations();
  });

  it("two payloads of the same second handled in the wrong order: GitHub is asked which is the last", async () => {
    t = await startTestMario({ config: queueConfig() });
    const ci = fakeCi(t, () => false);
    const pr = t.github.state.addPullRequest(repo, { number: 1, user: "carol", title: "Change 1", labels: [], base: { sha: t.github.state.git.branch(repo, "main")!, ref: "main" } });
    pr.updatedAt = "2030-01-01T00:00:00Z";
    await sendPullRequest(t, 1, "opened"); // the pool is known from here on: later events update its snapshot
    await waitFor(() => queueStatus(t!, 1)?.description === "Needs lgtm, approved labels", "#1 waiting for labels");
    // lgtm and approved were added within one second: both payloads carry the same updated_at (whole seconds).
    pr.updatedAt = "2030-01-01T00:00:07Z";
    pr.labels.push("lgtm");
    const lgtmOnly = pullRequestPayload(t, 1, "labeled");
    pr.labels.push("approved");
    await sendPullRequest(t, 1, "labeled");
    await send(t, "pull_request", lgtmOnly); // the older one, handled last
    await settle(300);
    await sendStatus(t, pr.head.sha, "success"); // CI passes once both were handled
    await waitFor(() => merged(1), "#1 merged without waiting for a reconcile (reconcileMinutes: 0)");
    ci.stop();
    t.github.assertNoViolations();
  });

  it("the reconcile loop repairs a lost webhook, and asks conditionally: an unchanged pool is answered 304 Not Modified", async () => {
    t = await startTestMario({ config: queueConfig().replace("reconcileMinutes: 0", "reconcileMinutes: 0.01") });
    const ci = fakeCi(t, () => false);
    await seedReadyPrs(t, [1]);
    await waitFor(() => merged(1), "#1 merged");
    const lists = () => t!.github.requestsFor("pulls/list");
    // Quiet: the reconcile keeps reading the pool, and GitHub answers "not modified".
    await waitFor(() => lists().filter((r) => r.status === 304).length >= 2, "two reconciles answered 304", 15_000);
    for (const r of lists().filter((r) => r.status === 304)) expect(r.headers["if-none-match"]).toMatch(/^W\/"[0-9a-f]{40}"$/);
    // #2 became ready, but neither its labeled webhook nor its status webhook reached mario: the list changed (a
    // 200), and the reconcile finds it.
    const s = t.github.state;
    const pr = s.addPullRequest(repo, { number: 2, user: "carol", title: "Change 2", labels: ["lgtm", "approved"], base: { sha: s.git.branch(repo, "main")!, ref: "main" } });
    s.statusesList.push({ id: s.nextId(), repo, sha: pr.head.sha, state: "success", targetUrl: null, description: "passed", context: "ci/test", creator: s.bot, createdAt: s.now(), updatedAt: s.now() });
    await waitFor(() => merged(2), "#2 found by the reconcile and merged", 15_000);
    ci.stop();
    t.github.assertNoViolations();
  });
});
