import { afterEach, describe, expect, it } from "vitest";
import { repo, settle, waitFor, type TestMario } from "../support/test-mario.js";
import { botComments, checksNamed, completedCheck, ns, playRun, runsOf, sendCheckRunRerequested, sendCheckSuiteRerequested, sendPullRequest, startJobsMario, waitForRuns } from "./lifecycle-support.js";

let t: TestMario;
afterEach(async () => {
  t.github.assertNoViolations();
  await t.close();
});

const lastReply = (t: TestMario, n: number) => waitFor(() => (botComments(t).length >= n ? botComments(t)[n - 1] : undefined), `reply ${n}`);

describe("/test, /retest and /cancel", () => {
  it("answers /test without a name, with an unknown name, and runs duplicates once", async () => {
    t = await startJobsMario();
    await t.comment("/test");
    expect((await lastReply(t, 1)).body).toContain("needs the name of a job (or `all`). Jobs for this pull request: `unit-tests`, `lint` (optional), `docs`.");
    await t.comment("/test unit-tests nope");
    const unknown = await lastReply(t, 2);
    expect(unknown.body).toContain("I don't know `nope`, so nothing ran.");
    expect(unknown.body).toContain("`unit-tests`");
    await settle(300);
    expect(t.kube.pipelineRuns(ns)).toEqual([]);

    await t.comment("/test unit-tests unit-tests");
    expect((await lastReply(t, 3)).body).toContain("`unit-tests` was named more than once; each job runs once.");
    await waitForRuns(t, "unit-tests", 1);
    await settle(300);
    expect(runsOf(t, "unit-tests")).toHaveLength(1);
  });

  it("runs `/test all` for the jobs that apply, and `/test docs` even though docs did not change", async () => {
    t = await startJobsMario();
    await t.comment("/test all");
    await waitForRuns(t, "unit-tests", 1);
    await waitForRuns(t, "lint", 1);
    await settle(300);
    expect(runsOf(t, "docs")).toEqual([]);
    await t.comment("/test docs");
    await waitForRuns(t, "docs", 1);
    expect(botComments(t)).toEqual([]);
  });

  it("refuses /test to users who are not trusted", async () => {
    t = await startJobsMario();
    await t.comment("/test unit-tests", { user: "bob" });
    expect((await lastReply(t, 1)).body).toContain("`/test` is for collaborators and organization members of octo; you are neither");
    expect(t.kube.pipelineRuns(ns)).toEqual([]);
  });

  it("/retest reruns only failed and never-run jobs, also after their PipelineRuns were pruned, and says when nothing failed", async () => {
    t = await startJobsMario();
    const sha = t.github.state.pullRequest(repo, 42).head.sha;
    await t.comment("/test unit-tests lint");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    const [lint] = await waitForRuns(t, "lint", 1);
    playRun(t, unit.metadata.name, "Succeeded");
    playRun(t, lint.metadata.name, "Failed", "boom\n");
    await waitFor(() => checksNamed(t, "mario/lint", sha)[0]?.conclusion === "failure", "lint failed");
    await waitFor(() => checksNamed(t, "mario/unit-tests", sha)[0]?.conclusion === "success", "unit-tests passed");
    // The cluster forgets both runs.
    t.kube.deletePipelineRun(ns, unit.metadata.name);
    t.kube.deletePipelineRun(ns, lint.metadata.name);

    await t.comment("/retest");
    await waitForRuns(t, "lint", 1, "lint rerun");
    await settle(300);
    expect(runsOf(t, "unit-tests")).toEqual([]);
    expect(runsOf(t, "lint")).toHaveLength(1);
    expect(runsOf(t, "lint")[0].metadata.name).not.toBe(lint.metadata.name);

    playRun(t, runsOf(t, "lint")[0].metadata.name, "Succeeded");
    await waitFor(() => checksNamed(t, "mario/lint", sha).some((c) => c.conclusion === "success"), "lint rerun passed");
    await t.comment("/retest");
    expect((await lastReply(t, 1)).body).toContain(`Nothing to retest on ${sha.slice(0, 7)}: every job succeeded or is still running.`);
  });

  it("/retest and Re-run failed checks also rerun a failed job that ran by /test although its paths do not match", async () => {
    t = await startJobsMario();
    const sha = t.github.state.pullRequest(repo, 42).head.sha;
    await t.comment("/test docs"); // docs/** did not change
    const [docs] = await waitForRuns(t, "docs", 1);
    playRun(t, docs.metadata.name, "Failed", "broken link\n");
    await waitFor(() => checksNamed(t, "mario/docs", sha)[0]?.conclusion === "failure", "docs failed");

    await t.comment("/retest");
    const again = (await waitForRuns(t, "docs", 2, "docs rerun by /retest")).find((r) => r.metadata.name !== docs.metadata.name);
    playRun(t, again.metadata.name, "Failed", "still broken\n");
    await waitFor(() => checksNamed(t, "mario/docs", sha).filter((c) => c.conclusion === "failure").length === 2, "the rerun failed");
    await sendCheckSuiteRerequested(t, sha, "alice");
    await waitForRuns(t, "docs", 3, "docs rerun by Re-run failed checks");
    // unit-tests and lint apply to the changes and never ran, so they run too.
    expect(runsOf(t, "unit-tests").length).toBeGreaterThanOrEqual(1);
    expect(botComments(t)).toEqual([]);
  });

  it("/cancel says when nothing runs, cancels one job with /cancel <job>, and all with /cancel", async () => {
    t = await startJobsMario();
    await t.comment("/cancel");
    expect((await lastReply(t, 1)).body).toContain("Nothing is running on this pull request, so there is nothing to cancel.");
    await t.comment("/test unit-tests lint");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    const [lint] = await waitForRuns(t, "lint", 1);
    t.kube.startRun(ns, unit.metadata.name, { tasks: [{ name: "test", steps: ["run"] }] });
    await t.comment("/cancel lint");
    await waitFor(() => t.kube.getPipelineRun(ns, lint.metadata.name).spec.status === "Cancelled", "lint cancelled");
    expect(t.kube.getPipelineRun(ns, unit.metadata.name).spec.status).toBeUndefined();
    await t.comment("/cancel");
    await waitFor(() => t.kube.getPipelineRun(ns, unit.metadata.name).spec.status === "Cancelled", "unit-tests cancelled");
    const check = checksNamed(t, "mario/unit-tests")[0]!;
    expect((await completedCheck(t, check.id)).conclusion).toBe("cancelled");
    expect(botComments(t)).toHaveLength(1); // only the "nothing to cancel" answer
  });

  it("/cancel stops a run still being created: it says cancelled and the job's retries never create it", async () => {
    t = await startJobsMario("", { retryAttempts: 20 });
    // The cluster answers every create with 503: the run waits for it, and its job keeps retrying.
    t.kube.failNext({ method: "POST", path: /pipelineruns$/ }, { status: 503 }, 1000);
    const posts = () => t.kube.requests.filter((r) => r.method === "POST" && r.path.endsWith("/pipelineruns")).length;
    await t.comment("/test unit-tests");
    const waiting = await waitFor(() => checksNamed(t, "mario/unit-tests").find((c) => c.output.title === "Waiting for the Kubernetes API"), "waiting for the cluster");
    await t.comment("/cancel");
    const check = await completedCheck(t, waiting.id);
    expect(check.conclusion).toBe("cancelled");
    expect(check.output.summary).toContain("Cancelled before its PipelineRun was created.");
    const tried = posts();
    await settle(1200); // retries come every 50-400 ms: none tries to create it any more
    expect(posts()).toBe(tried);
    expect(t.github.state.checkRun(waiting.id)?.conclusion).toBe("cancelled");
    expect(botComments(t)).toEqual([]); // no "Nothing is running"
  });

  it("/cancel landing after the PipelineRun exists but before its creator heard back stays cancelled: the late answer changes nothing", async () => {
    t = await startJobsMario("", { env: { KUBE_REQUEST_TIMEOUT_MS: "10000" } });
    // The cluster creates the run at once, but its answer to mario's create is slow.
    const answer = t.kube.holdResponse({ method: "POST", path: /pipelineruns$/ });
    await t.comment("/test unit-tests");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    const check = await waitFor(() => checksNamed(t, "mario/unit-tests")[0], "the watcher's report of the new run");
    await t.comment("/cancel");
    await waitFor(() => t.kube.getPipelineRun(ns, run.metadata.name).spec.status === "Cancelled", "cancelled in the cluster");
    expect((await completedCheck(t, check.id)).conclusion).toBe("cancelled");

    answer(); // the create's answer still shows the run as just created
    await waitFor(() => t.kube.requests.some((r) => r.method === "POST" && r.status === 201), "the create answered");
    await settle();
    expect(t.github.state.checkRun(check.id)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(t.kube.getPipelineRun(ns, run.metadata.name).spec.status).toBe("Cancelled");
    expect(botComments(t)).toEqual([]);
  });

  it("/cancel while the PipelineRun is being created (mario's watch lagging): the creator cancels it as soon as the create answers", async () => {
    t = await startJobsMario("", { env: { KUBE_REQUEST_TIMEOUT_MS: "10000" } });
    const watch = t.kube.holdWatches();
    const answer = t.kube.holdResponse({ method: "POST", path: /pipelineruns$/ });
    await t.comment("/test unit-tests");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    // The run exists, but for mario it is still being created.
    await t.comment("/cancel");
    const check = await waitFor(() => checksNamed(t, "mario/unit-tests").find((c) => c.conclusion === "cancelled"), "the check says cancelled");
    expect(t.kube.getPipelineRun(ns, run.metadata.name).spec.status).toBeUndefined();

    answer();
    await waitFor(() => t.kube.getPipelineRun(ns, run.metadata.name).spec.status === "Cancelled", "cancelled in the cluster");
    watch(); // the watch catches up: the run was created, then cancelled
    await waitFor(() => t.kube.getPipelineRun(ns, run.metadata.name).status?.conditions?.[0]?.reason === "Cancelled", "Tekton cancelled it");
    await settle();
    expect(t.github.state.checkRun(check.id)).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(botComments(t)).toEqual([]);
  });

  it("/cancel while every create times out, though the first one happened: the PipelineRun mario then finds is cancelled", async () => {
    t = await startJobsMario("", { env: { KUBE_REQUEST_TIMEOUT_MS: "300" } });
    const watch = t.kube.holdWatches();
    // The API server creates the run, but no answer reaches mario in time (nor those of the retried creates).
    for (let i = 0; i < 6; i++) t.kube.holdResponse({ method: "POST", path: /pipelineruns$/ });
    await t.comment("/test unit-tests");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    await waitFor(() => checksNamed(t, "mario/unit-tests").find((c) => c.output.title === "Waiting for the Kubernetes API"), "the check says mario waits for the cluster");
    await t.comment("/cancel");
    await waitFor(() => checksNamed(t, "mario/unit-tests").find((c) => c.conclusion === "cancelled"), "the check says cancelled");

    watch(); // the watch catches up (mario's list may have found the run already: the cancel then reads it as created)
    await waitFor(() => t.kube.getPipelineRun(ns, run.metadata.name).spec.status === "Cancelled", "cancelled in the cluster");
    await waitFor(() => t.kube.getPipelineRun(ns, run.metadata.name).status?.conditions?.[0]?.reason === "Cancelled", "Tekton cancelled it");
    await settle();
    expect(checksNamed(t, "mario/unit-tests")).toEqual([expect.objectContaining({ status: "completed", conclusion: "cancelled" })]);
    expect(runsOf(t, "unit-tests")).toHaveLength(1);
  });

  it("Re-run on a check run is /test <job>; Re-run failed checks is /retest; untrusted users' clicks do nothing", async () => {
    t = await startJobsMario();
    const sha = t.github.state.pullRequest(repo, 42).head.sha;
    await sendPullRequest(t, "opened");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    const [lint] = await waitForRuns(t, "lint", 1);
    playRun(t, unit.metadata.name, "Succeeded");
    playRun(t, lint.metadata.name, "Failed", "nope\n");
    await waitFor(() => checksNamed(t, "mario/lint", sha)[0]?.conclusion === "failure", "lint failed");

    await sendCheckRunRerequested(t, { name: "mario/unit-tests", headSha: sha }, "bob");
    await settle(400);
    expect(runsOf(t, "unit-tests")).toHaveLength(1);

    await sendCheckRunRerequested(t, { name: "mario/unit-tests", headSha: sha }, "alice");
    await waitForRuns(t, "unit-tests", 2);
    await sendCheckSuiteRerequested(t, sha, "alice");
    await waitForRuns(t, "lint", 2);
    await settle(300);
    expect(runsOf(t, "unit-tests")).toHaveLength(2); // passed (and its rerun is running): not retested
    expect(runsOf(t, "lint").find((r) => r.metadata.name !== lint.metadata.name).metadata.annotations["mario.dev/requester"]).toBe("alice");
  });
});
