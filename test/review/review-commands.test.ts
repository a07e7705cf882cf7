import { afterEach, describe, expect, it } from "vitest";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { pullRequestPayload, queueConfig, send, sendPullRequest, sendReview } from "../merge-queue/queue-support.js";

let t: TestMario | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const labels = () => t!.github.state.labelsOn(repo, 42);
const lastComment = () => t!.github.state.comments(repo, 42).at(-1)?.body ?? "";

describe("/lgtm", () => {
  it("adds lgtm for a collaborator, creating the label with a colour; refuses the author and non-collaborators", async () => {
    t = await startTestMario({ config: queueConfig() });
    await t.comment("/lgtm", { user: "carol" }); // the author
    await waitFor(() => lastComment().includes("you cannot LGTM your own PR"), "refusal for the author");
    await t.comment("/lgtm", { user: "bob" }); // read access only
    await waitFor(() => lastComment().includes("needs write access"), "refusal for bob");
    expect(labels()).not.toContain("lgtm");
    await t.comment("/lgtm", { user: "alice" });
    await waitFor(() => labels().includes("lgtm"), "lgtm added");
    const label = t.github.state.repoLabels(repo).find((l) => l.name === "lgtm");
    expect(label).toMatchObject({ color: "15dd18" });
    expect(label?.description).toContain("Looks good to me");
    await t.comment("/lgtm cancel", { user: "alice" });
    await waitFor(() => !labels().includes("lgtm"), "lgtm removed");
    t.github.assertNoViolations();
  });

  it("is removed by a push with a comment, unless the git tree is unchanged", async () => {
    t = await startTestMario({ config: queueConfig() });
    await t.comment("/lgtm", { user: "alice" });
    await waitFor(() => labels().includes("lgtm"), "lgtm added");
    const s = t.github.state;
    const before = s.pullRequest(repo, 42).head.sha;
    s.git.pushSameTree(repo, 42);
    await sendPullRequest(t, 42, "synchronize", { before });
    await settle(500);
    expect(labels()).toContain("lgtm");
    const before2 = s.pullRequest(repo, 42).head.sha;
    s.pushToPullRequest(repo, 42);
    await sendPullRequest(t, 42, "synchronize", { before: before2 });
    await waitFor(() => lastComment().includes("New changes are detected"), "the push explained");
    expect(labels()).not.toContain("lgtm");
    t.github.assertNoViolations();
  });

  it("a push's payload arriving again after lgtm was added back changes nothing", async () => {
    t = await startTestMario({ config: queueConfig() });
    const s = t.github.state;
    const pr = s.pullRequest(repo, 42);
    pr.labels.push("lgtm");
    const before = pr.head.sha;
    s.pushToPullRequest(repo, 42);
    pr.updatedAt = "2030-01-01T00:00:01Z";
    const push = { ...pullRequestPayload(t, 42, "synchronize"), before };
    await send(t, "pull_request", push);
    await waitFor(() => lastComment().includes("New changes are detected"), "lgtm removed by the push");
    // A reviewer looked at the new changes and added lgtm again.
    pr.labels.push("lgtm");
    pr.updatedAt = "2030-01-01T00:00:09Z";
    await sendPullRequest(t, 42, "labeled");
    await settle(300);
    // A copy of the push's payload, held up on the way, arrives late.
    await send(t, "pull_request", push);
    await settle(800);
    expect(labels()).toContain("lgtm");
    expect(s.comments(repo, 42).filter((c) => c.body.includes("New changes are detected"))).toHaveLength(1);
    t.github.assertNoViolations();
  });

  it("follows reviews: approving adds lgtm, requesting changes removes it", async () => {
    t = await startTestMario({ config: queueConfig() });
    t.github.state.git.setFile(repo, "OWNERS", "approvers: [alice]\n");
    await sendReview(t, 42, "alice", "approved");
    await waitFor(() => labels().includes("lgtm"), "lgtm from the review");
    await sendReview(t, 42, "alice", "changes_requested");
    await waitFor(() => !labels().includes("lgtm"), "lgtm removed by changes requested");
    t.github.assertNoViolations();
  });
});

describe("/approve", () => {
  it("needs an OWNERS approver for every changed file; one notification comment, edited only when it changes", async () => {
    t = await startTestMario({ config: queueConfig() });
    const s = t.github.state;
    s.setPermission(repo, "dave", "read");
    s.git.setFile(repo, "OWNERS", "approvers: [erin]\n");
    s.git.setFile(repo, "web/OWNERS", "approvers: [alice]\nreviewers: [bob]\n");
    s.git.setFile(repo, "api/OWNERS", "approvers: [dave]\n");
    s.pullRequest(repo, 42).files = [
      { filename: "web/app/page.ts", status: "modified", additions: 1, deletions: 0 },
      { filename: "api/server.ts", status: "modified", additions: 1, deletions: 0 },
    ];
    await t.comment("/approve", { user: "alice" });
    await waitFor(() => lastComment().includes("NOT APPROVED"), "notification comment");
    const notice = s.comments(repo, 42).at(-1)!;
    expect(notice.body).toContain("`api/OWNERS`: @dave, @erin");
    expect(labels()).not.toContain("approved");
    const updates = () => t!.github.requestsFor("issues/update-comment").length;
    await t.comment("/approve", { user: "alice" }); // same text: no edit
    await settle(500);
    expect(updates()).toBe(0);
    await t.comment("/approve", { user: "dave" });
    await waitFor(() => labels().includes("approved"), "approved label");
    await waitFor(() => s.comment(notice.id)!.body.startsWith("**APPROVED**"), "the same comment edited to APPROVED");
    expect(updates()).toBe(1);
    expect(s.repoLabels(repo).find((l) => l.name === "approved")?.color).toBe("0ffa16");
    // Each person's latest command wins.
    await t.comment("/approve cancel", { user: "dave" });
    await waitFor(() => !labels().includes("approved"), "approval withdrawn");
    await waitFor(() => s.comment(notice.id)!.body.includes("NOT APPROVED"), "notification edited back");
    t.github.assertNoViolations();
  });
});

describe("/hold", () => {
  it("lets anyone hold and unhold", async () => {
    t = await startTestMario({ config: queueConfig() });
    await t.comment("/hold", { user: "bob" });
    await waitFor(() => labels().includes("do-not-merge/hold"), "hold label");
    expect(t.github.state.repoLabels(repo).find((l) => l.name === "do-not-merge/hold")?.color).toBe("e11d21");
    await t.comment("/hold cancel", { user: "bob" });
    await waitFor(() => !labels().includes("do-not-merge/hold"), "hold lifted");
    t.github.assertNoViolations();
  });
});
