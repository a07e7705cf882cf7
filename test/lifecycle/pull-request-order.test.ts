import { afterEach, describe, expect, it } from "vitest";
import { repo, settle, waitFor, type TestMario } from "../support/test-mario.js";
import { checksNamed, completedCheck, ns, runsOf, sendPullRequest, startJobsMario, waitForRuns } from "./lifecycle-support.js";

let t: TestMario;
afterEach(async () => {
  t.github.assertNoViolations();
  await t.close();
});

/* eslint-disable @typescript-eslint/no-explicit-any */
const onHead = (runs: any[], sha: string) => runs.filter((r) => r.metadata.labels["mario.dev/head-sha"] === sha);
/* eslint-enable @typescript-eslint/no-explicit-any */
const jobRuns = (t: TestMario) => [...runsOf(t, "unit-tests"), ...runsOf(t, "lint")];

/** Sends a `synchronize` for `head` (replacing `before`) while GitHub's PR already points at a later head. */
async function sendStalePush(t: TestMario, head: string, before: string) {
  const pr = t.github.state.pullRequest(repo, 42);
  const now = pr.head.sha;
  pr.head.sha = head; // the payload is built from the fake's PR: show it the head this old event carried
  try {
    await sendPullRequest(t, "synchronize", { before });
  } finally {
    pr.head.sha = now;
  }
}

describe("pull_request events handled out of order", () => {
  it("a push handled after a newer one starts nothing and never cancels the current head's runs", async () => {
    t = await startJobsMario();
    const a = t.github.state.pullRequest(repo, 42).head.sha;
    await sendPullRequest(t, "opened");
    await waitForRuns(t, "unit-tests", 1);
    await waitForRuns(t, "lint", 1);
    const b = t.github.state.pushToPullRequest(repo, 42);
    const c = t.github.state.pushToPullRequest(repo, 42);

    // GitHub sent B's push first, but C's is handled first.
    await sendPullRequest(t, "synchronize", { before: b });
    await waitFor(() => onHead(jobRuns(t), c).length === 2, "C's runs");
    await sendStalePush(t, b, a);
    await waitFor(() => onHead(jobRuns(t), a).every((r) => r.spec.status === "Cancelled"), "A's runs cancelled once B's push says A was replaced");
    await settle(500);
    expect(onHead(jobRuns(t), b)).toEqual([]);
    expect(onHead(jobRuns(t), c).map((r) => r.spec.status)).toEqual([undefined, undefined]);
    for (const check of [...checksNamed(t, "mario/unit-tests", c), ...checksNamed(t, "mario/lint", c)]) expect(check.conclusion).toBeNull();
  });

  it("a `closed` handled after the `reopened` that followed it leaves the PR open: its runs go on and later pushes start jobs", async () => {
    t = await startJobsMario();
    await sendPullRequest(t, "reopened");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    await waitForRuns(t, "lint", 1);
    // GitHub's PR is open (it was reopened after it closed); the older `closed` comes in late.
    await sendPullRequest(t, "closed");
    await settle(600);
    expect(t.kube.getPipelineRun(ns, unit.metadata.name).spec.status).toBeUndefined();

    const before = t.github.state.pullRequest(repo, 42).head.sha;
    const head = t.github.state.pushToPullRequest(repo, 42);
    await sendPullRequest(t, "synchronize", { before });
    await waitFor(() => onHead(jobRuns(t), head).length === 2, "the new head's runs");
  });
});

describe("awaiting /ok-to-test check runs", () => {
  it("are concluded when a push replaces their head, and when the PR closes", async () => {
    t = await startJobsMario();
    t.github.state.addPullRequest(repo, { number: 7, user: "mallory", files: [{ filename: "src/x.ts", status: "added", additions: 1, deletions: 0 }] });
    const pr = t.github.state.pullRequest(repo, 7);
    const first = pr.head.sha;
    await sendPullRequest(t, "opened", { number: 7 });
    const waiting = await waitFor(() => (checksNamed(t, "mario/lint", first).length ? checksNamed(t, "mario/unit-tests", first)[0] : undefined), "awaiting checks");
    expect(waiting.output.title).toBe("Awaiting /ok-to-test");

    const next = t.github.state.pushToPullRequest(repo, 7);
    await sendPullRequest(t, "synchronize", { number: 7, before: first });
    const old = await completedCheck(t, waiting.id);
    expect(old).toMatchObject({ conclusion: "cancelled", output: expect.objectContaining({ title: "Superseded by a newer commit" }) });
    expect((await completedCheck(t, checksNamed(t, "mario/lint", first)[0]!.id)).conclusion).toBe("cancelled");
    const fresh = await waitFor(() => checksNamed(t, "mario/unit-tests", next)[0], "the new head awaits approval");
    expect(fresh).toMatchObject({ status: "queued", output: expect.objectContaining({ title: "Awaiting /ok-to-test" }) });

    pr.state = "closed";
    await sendPullRequest(t, "closed", { number: 7 });
    expect(await completedCheck(t, fresh.id)).toMatchObject({ conclusion: "cancelled", output: expect.objectContaining({ title: "Pull request closed" }) });
    expect(t.kube.pipelineRuns(ns)).toEqual([]);
  });
});
