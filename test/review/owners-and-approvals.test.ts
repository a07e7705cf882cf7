import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { faults, loadWebhookExample } from "../fakes/fake-github.js";
import { renderRepo } from "../fakes/github-render.js";
import { deleteKeys, redisUrl, uniquePrefix } from "../support/test-redis.js";
import { fakeCi, queueConfig, queueStatus, seedReadyPrs, send, sendPullRequest, sendReview, sendStatus } from "../merge-queue/queue-support.js";

let t: TestMario | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const labels = () => t!.github.state.labelsOn(repo, 42);
const lastComment = () => t!.github.state.comments(repo, 42).at(-1)?.body ?? "";

describe("OWNERS", () => {
  it("are read from the base branch: a PR that adds its author to OWNERS does not approve itself", async () => {
    t = await startTestMario({ config: queueConfig() });
    const s = t.github.state;
    const pr = s.pullRequest(repo, 42);
    s.git.setFile(repo, "OWNERS", "approvers: [alice]\n");
    // The PR's head changes OWNERS to make carol, its author, an approver.
    s.git.setFile(repo, "OWNERS", "approvers: [alice, carol]\n", pr.head.ref);
    pr.files = [
      { filename: "OWNERS", status: "modified", additions: 1, deletions: 1 },
      { filename: "src/app.ts", status: "modified", additions: 1, deletions: 0 },
    ];
    await t.comment("/approve", { user: "carol" });
    await waitFor(() => lastComment().includes("NOT APPROVED"), "notification comment");
    expect(lastComment()).toContain("`OWNERS`: @alice");
    expect(labels()).not.toContain("approved");
    await t.comment("/approve", { user: "alice" });
    await waitFor(() => labels().includes("approved"), "approved by the base branch's approver");
    await settle(200);
    t.github.assertNoViolations();
  });
});

describe("label names from review.labels", () => {
  it("a renamed hold label keeps a PR out of the merge queue (blockingLabels follow review.labels)", async () => {
    t = await startTestMario({ config: `${queueConfig()}review:\n  labels:\n    hold: on-hold\n` });
    await seedReadyPrs(t, [1, 2], { green: false });
    await t.comment("/hold", { user: "bob", prNumber: 1 });
    await waitFor(() => t!.github.state.labelsOn(repo, 1).includes("on-hold"), "the custom hold label");
    await sendPullRequest(t, 1, "labeled");
    const ci = fakeCi(t, () => false);
    for (const n of [1, 2]) await sendStatus(t, t.github.state.pullRequest(repo, n).head.sha, "success");
    await waitFor(() => t!.github.state.pullRequest(repo, 2).merged, "#2 merged");
    await waitFor(() => queueStatus(t!, 1)?.description === "Should not have on-hold label", "#1 told why it waits");
    ci.stop();
    expect(t.github.state.pullRequest(repo, 1).merged).toBe(false);
    t.github.assertNoViolations();
  });
});

describe("managed labels", () => {
  const lgtmLabel = () => t!.github.state.repoLabels(repo).find((l) => l.name === "lgtm");

  it("get their colour and description even when the first attempt to create them failed", async () => {
    t = await startTestMario({ config: queueConfig() });
    t.github.failNext({ operationId: "issues/create-label" }, faults.badGateway());
    await t.comment("/lgtm", { user: "alice" });
    await waitFor(() => labels().includes("lgtm"), "lgtm added on a retry");
    expect(lgtmLabel()).toMatchObject({ color: "15dd18", description: expect.stringContaining("Looks good to me") });
    expect(t.github.requestsFor("issues/create-label").length).toBeGreaterThanOrEqual(2);
    t.github.assertNoViolations();
  });

  it("keep the names as configured, and mario remembers them under its Redis prefix as the operator wrote it", async () => {
    const prefix = `${uniquePrefix()}-Ops`;
    const keysUnder = async (p: string) => {
      const redis = new Redis(redisUrl(), { protocol: 2 });
      const found: string[] = [];
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${p}*`, "COUNT", 500);
        cursor = next;
        found.push(...keys);
      } while (cursor !== "0");
      redis.disconnect();
      return found;
    };
    try {
      t = await startTestMario({ config: `${queueConfig()}review:\n  labels:\n    lgtm: LGTM-Ok\n`, env: { MARIO_REDIS_PREFIX: prefix } });
      await t.comment("/lgtm", { user: "alice" });
      await waitFor(() => labels().includes("LGTM-Ok"), "the configured lgtm label");
      expect(t.github.state.repoLabels(repo).find((l) => l.name.toLowerCase() === "lgtm-ok")).toMatchObject({ name: "LGTM-Ok", color: "15dd18" });
      expect((await keysUnder(prefix)).filter((k) => k.includes("label-ensured"))).toEqual([`${prefix}:label-ensured:octo/demo:lgtm-ok`]);
      expect(await keysUnder(prefix.toLowerCase())).toEqual([]);
      t.github.assertNoViolations();
    } finally {
      await t?.close();
      t = undefined;
      await deleteKeys(prefix);
      await deleteKeys(prefix.toLowerCase());
    }
  });

  it("are created again, with their colour, after someone deleted them (label.deleted)", async () => {
    t = await startTestMario({ config: queueConfig() });
    const s = t.github.state;
    s.addPullRequest(repo, { number: 43, user: "carol" });
    await t.comment("/lgtm", { user: "alice" });
    await waitFor(() => labels().includes("lgtm"), "lgtm added");
    // Someone deletes the label from the repository; GitHub removes it from every PR and says so.
    const deleted = lgtmLabel()!;
    s.repo(repo).labels.delete("lgtm");
    s.pullRequest(repo, 42).labels = s.pullRequest(repo, 42).labels.filter((l) => l !== "lgtm");
    const payload = loadWebhookExample("label", "deleted");
    await send(t, "label", { ...payload, label: { ...payload.label, id: deleted.id, name: "lgtm", color: deleted.color }, repository: renderRepo({ base: t.github.url, state: s }, s.repo(repo)) });
    await settle(300);
    await t.comment("/lgtm", { user: "alice", prNumber: 43 });
    await waitFor(() => s.labelsOn(repo, 43).includes("lgtm"), "lgtm on #43");
    expect(lgtmLabel()).toMatchObject({ color: "15dd18", description: expect.stringContaining("Looks good to me") });
    t.github.assertNoViolations();
  });
});

describe("reviews", () => {
  it("'request changes' removes lgtm only from someone who may /lgtm (write access)", async () => {
    t = await startTestMario({ config: queueConfig() });
    await t.comment("/lgtm", { user: "alice" });
    await waitFor(() => labels().includes("lgtm"), "lgtm added");
    const notices = () => t!.github.state.comments(repo, 42).filter((c) => c.body.includes("NOT APPROVED")).length + t!.github.requestsFor("issues/update-comment").length;
    await sendReview(t, 42, "bob", "changes_requested"); // read access only
    await waitFor(() => notices() > 0, "bob's review handled");
    await settle(300);
    expect(labels()).toContain("lgtm");
    await sendReview(t, 42, "alice", "changes_requested");
    await waitFor(() => !labels().includes("lgtm"), "lgtm removed by a collaborator's review");
    t.github.assertNoViolations();
  });
});

describe("each person's latest command or review wins", () => {
  /** alice approves everything (OWNERS at the root); the PR changes one file. */
  async function ownersMario() {
    t = await startTestMario({ config: queueConfig() });
    t.github.state.git.setFile(repo, "OWNERS", "approvers: [alice]\n");
    t.github.state.pullRequest(repo, 42).files = [{ filename: "src/app.ts", status: "modified", additions: 1, deletions: 0 }];
    return t;
  }
  const notice = () => t!.github.state.comments(repo, 42).find((c) => c.body.includes("APPROVED"));

  it("an approving review by an OWNERS approver adds approved", async () => {
    t = await ownersMario();
    await sendReview(t, 42, "alice", "approved");
    await waitFor(() => labels().includes("approved"), "approved from the review");
    expect(labels()).toContain("lgtm");
    await waitFor(() => notice()?.body.startsWith("**APPROVED**"), "the notification says APPROVED");
    t.github.assertNoViolations();
  });

  it("review, then command: a later /approve outranks an earlier 'request changes'", async () => {
    t = await ownersMario();
    await sendReview(t, 42, "alice", "changes_requested");
    await waitFor(() => notice()?.body.includes("NOT APPROVED"), "not approved after the review");
    await t.comment("/approve", { user: "alice" });
    await waitFor(() => labels().includes("approved"), "approved by the later command");
    t.github.assertNoViolations();
  });

  it("command, then review: a /approve written before 'request changes' loses, even when handled after it", async () => {
    t = await ownersMario();
    const written = new Date(Date.now() - 60_000).toISOString();
    await sendReview(t, 42, "alice", "changes_requested");
    await waitFor(() => notice()?.body.includes("NOT APPROVED"), "not approved after the review");
    // The comment was written a minute before the review; its job only now runs (a late delivery, a retry).
    // Its /hold, handled right after its /approve, shows when the comment has been handled.
    await t.comment("/approve\n/hold", { user: "alice", createdAt: written });
    await waitFor(() => labels().includes("do-not-merge/hold"), "the late comment handled");
    await settle(200);
    expect(labels()).not.toContain("approved");
    expect(notice()?.body).toContain("NOT APPROVED");
    // A command written now does count: the earlier one was handled, it just lost.
    await t.comment("/approve", { user: "alice" });
    await waitFor(() => labels().includes("approved"), "approved by a fresh command");
    t.github.assertNoViolations();
  });
});

describe("approval after a push", () => {
  it("is worked out again: a push touching files under other OWNERS removes approved and updates the one notification", async () => {
    t = await startTestMario({ config: queueConfig() });
    const s = t.github.state;
    s.git.setFile(repo, "OWNERS", "approvers: [erin]\n");
    s.git.setFile(repo, "web/OWNERS", "approvers: [alice]\n");
    const pr = s.pullRequest(repo, 42);
    pr.files = [{ filename: "web/page.ts", status: "modified", additions: 1, deletions: 0 }];
    await t.comment("/approve", { user: "alice" });
    await waitFor(() => labels().includes("approved"), "approved by web/OWNERS");
    const notice = await waitFor(() => s.comments(repo, 42).find((c) => c.body.startsWith("**APPROVED**")), "notification");
    // The push adds a file only the root OWNERS (erin) may approve.
    const before = pr.head.sha;
    s.pushToPullRequest(repo, 42);
    pr.files = [...pr.files, { filename: "api/server.ts", status: "added", additions: 10, deletions: 0 }];
    await sendPullRequest(t, 42, "synchronize", { before });
    await waitFor(() => !labels().includes("approved"), "approved removed");
    await waitFor(() => s.comment(notice.id)!.body.includes("NOT APPROVED"), "the same notification edited");
    expect(s.comment(notice.id)!.body).toContain("`OWNERS`: @erin");
    expect(s.comments(repo, 42).filter((c) => c.body.includes("APPROVED"))).toHaveLength(1);
    // erin's approval restores it.
    await t.comment("/approve", { user: "erin" });
    await waitFor(() => labels().includes("approved"), "approved again");
    t.github.assertNoViolations();
  });

  it("leaves PRs mario never worked approval out for alone (a hand-added approved label stays), at no cost", async () => {
    t = await startTestMario({ config: queueConfig() });
    const s = t.github.state;
    s.addLabel(repo, "approved");
    s.pullRequest(repo, 42).labels.push("approved");
    const before = s.pullRequest(repo, 42).head.sha;
    s.pushToPullRequest(repo, 42);
    await sendPullRequest(t, 42, "synchronize", { before });
    await settle(500);
    expect(t.github.requestsFor("pulls/list-files")).toEqual([]);
    expect(s.comments(repo, 42)).toEqual([]);
    expect(labels()).toContain("approved");
    t.github.assertNoViolations();
  });
});
