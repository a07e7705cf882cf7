import { afterEach, describe, expect, it } from "vitest";
import { publicUrl, repo, waitFor, type TestMario } from "../support/test-mario.js";
import { ns, playRun, startJobsMario } from "../lifecycle/lifecycle-support.js";
import { loadWebhookExample } from "../fakes/fake-github.js";
import { renderRepo } from "../fakes/github-render.js";
import { queueStatus, send, sendPullRequest, stagingRuns } from "./queue-support.js";

let t: TestMario | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** lifecycle-support's jobs: unit-tests is required and has no paths; lint and docs only run for some paths. */
const startMario = (queue = "", opts: Parameters<typeof startJobsMario>[1] = {}) => startJobsMario(`mergeQueue:\n  mergeRetryBaseMs: 20\n  reconcileMinutes: 0\n${queue}`, opts);

/* eslint-disable @typescript-eslint/no-explicit-any -- fake PipelineRuns are free-form JSON */
const kindOf = (r: any) => r.metadata.labels["mario.dev/kind"];
const revision = (r: any) => r.spec.params.find((p: any) => p.name === "GIT_REVISION")?.value as string;
const runs = (t: TestMario, kind: string): any[] => t.kube.pipelineRuns(ns).filter((r: any) => kindOf(r) === kind);
/* eslint-enable @typescript-eslint/no-explicit-any */
const merged = (n: number) => t!.github.state.pullRequest(repo, n).merged;
const prsOf = (t: TestMario, sha: string) => [...t.github.state.git.commit(repo, sha).content.keys()].sort((a, b) => a - b);

/**
 * Plays Tekton for every PipelineRun of `kind` (job, staging) as it starts: fails those whose commit contains a
 * PR `bad` names. Runs waiting for a slot (PipelineRunPending) or cancelled are not played.
 */
function player(t: TestMario, kind: string, bad: (prs: number[]) => boolean = () => false) {
  const played = new Set<string>();
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      for (const r of runs(t, kind)) {
        if (played.has(r.metadata.name) || r.spec.status) continue;
        played.add(r.metadata.name);
        playRun(t, r.metadata.name, bad(prsOf(t, revision(r))) ? "Failed" : "Succeeded", "FAIL: TestThing\n");
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  };
  void loop();
  return { stop: () => (stopped = true), played };
}
const playStaging = (t: TestMario, bad: (prs: number[]) => boolean) => player(t, "staging", bad);

/** PRs labelled lgtm + approved; their presubmit unit-tests run (pull_request.opened) and pass on their heads. */
async function readyPrs(t: TestMario, numbers: number[]) {
  const s = t.github.state;
  const base = s.newSha();
  s.git.setBranch(repo, "main", base);
  const presubmits = player(t, "job");
  for (const n of numbers) {
    s.addPullRequest(repo, { number: n, user: "carol", title: `Change ${n}`, labels: ["lgtm", "approved"], base: { sha: base, ref: "main" } });
    await sendPullRequest(t, n, "opened");
  }
  const passed = (n: number) => s.checkRuns(repo, s.pullRequest(repo, n).head.sha).some((c) => c.name === "mario/unit-tests" && c.conclusion === "success");
  await waitFor(() => numbers.every(passed), "unit-tests passed on the PR heads", 15_000);
  presubmits.stop();
}

/** Someone pushed to main: its head moves to a new commit and the push webhook tells mario. */
function pushToMain(t: TestMario) {
  const sha = t.github.state.newSha();
  t.github.state.git.setBranch(repo, "main", sha);
  const payload = loadWebhookExample("push");
  return send(t, "push", { ...payload, ref: "refs/heads/main", before: "0".repeat(40), after: sha, deleted: false, repository: renderRepo({ base: t.github.url, state: t.github.state }, t.github.state.repo(repo)) });
}

describe("mario's required jobs on the merge queue's staging commits", () => {
  it("runs them as PipelineRuns on the staging sha, reports mario/<job> there and merges when they pass", async () => {
    t = await startMario();
    await readyPrs(t, [1, 2]);
    const staging = await waitFor(() => stagingRuns(t!).find((r) => r.prs.length === 2), "a staging commit with both PRs");
    const run = await waitFor(() => runs(t!, "staging").find((r) => revision(r) === staging.sha), "a unit-tests run on the staging commit");
    expect(run.metadata.labels["mario.dev/command"]).toBe("unit-tests");
    expect(run.spec.params).toContainEqual({ name: "GIT_URL", value: expect.stringContaining("octo/demo") });
    // Not a fork's PR in the batch: the job's secret workspace stays.
    expect(run.spec.workspaces).toEqual([{ name: "credentials", secret: { secretName: "test-credentials" } }]);
    // Only the required job without paths runs there (not lint or docs), and nothing merged before it passed.
    expect(runs(t, "staging").every((r) => r.metadata.labels["mario.dev/command"] === "unit-tests")).toBe(true);
    const check = await waitFor(() => t!.github.state.checkRuns(repo, staging.sha).find((c) => c.name === "mario/unit-tests"), "check run on the staging commit");
    expect(check.detailsUrl).toBe(`${publicUrl}/runs/${ns}/${run.metadata.name}`);
    expect(merged(1) || merged(2)).toBe(false);
    await waitFor(() => queueStatus(t!, 2)?.description === "In merge queue, position 2 of 2", "#2 waits in line");

    const ci = playStaging(t, () => false);
    await waitFor(() => merged(1) && merged(2), "both PRs merged", 15_000);
    ci.stop();
    const completed = t.github.state.checkRuns(repo, staging.sha).find((c) => c.name === "mario/unit-tests")!;
    expect(completed).toMatchObject({ status: "completed", conclusion: "success" });
    t.github.assertNoViolations();
  }, 60_000); // the file's first test: it also pays for loading mario and the OpenAPI document on a busy machine

  it("removes a PR whose staging run fails alone, with a comment naming the job and linking mario's run page", async () => {
    // One run at a time: #1 and #2 are tested as one batch, which fails and is split.
    t = await startMario("  maxInFlight: 1\n");
    await readyPrs(t, [1, 2]);
    const ci = playStaging(t, (prs) => prs.includes(2));
    await waitFor(() => merged(1), "#1 merged", 20_000);
    const comment = await waitFor(() => t!.github.state.comments(repo, 2).find((c) => c.body.includes("left the merge queue")), "#2's comment", 20_000);
    ci.stop();
    expect(merged(2)).toBe(false);
    expect(comment.body).toContain("`mario/unit-tests`");
    // The link is the run page of the staging run that failed with #2 in it (#1 then passed alone, so the
    // queue knows #2 is the culprit without testing it again).
    const link = /\[log\]\(([^)]+)\)/.exec(comment.body)?.[1];
    const failedRun = runs(t, "staging").find((r) => link === `${publicUrl}/runs/${ns}/${r.metadata.name}`);
    expect(failedRun, `${link} is the page of a staging run`).toBeDefined();
    expect(prsOf(t, revision(failedRun))).toContain(2);
    expect(t.github.state.checkRuns(repo, revision(failedRun)).find((c) => c.name === "mario/unit-tests")).toMatchObject({ status: "completed", conclusion: "failure" });
    const status = await waitFor(() => (queueStatus(t!, 2)?.state === "failure" ? queueStatus(t!, 2) : undefined), "#2's failure status");
    expect(status.description).toBe("Job mario/unit-tests failed in the merge queue; push a fix");
    // #1 was never removed, and #2 was never merged into main.
    expect(t.github.state.comments(repo, 1).some((c) => c.body.includes("left the merge queue"))).toBe(false);
    expect(prsOf(t, t.github.state.git.branch(repo, "main")!)).toEqual([1]);
    t.github.assertNoViolations();
  });

  it("cancels the staging PipelineRuns (spec.status Cancelled) when the base moves, and retests on the new base", async () => {
    t = await startMario("  maxInFlight: 1\n");
    await readyPrs(t, [1, 2]);
    const first = await waitFor(() => runs(t!, "staging")[0], "a staging run");
    const firstSha = revision(first);
    await pushToMain(t);
    await waitFor(() => t!.kube.pipelineRuns(ns).find((r) => r.metadata.name === first.metadata.name)?.spec.status === "Cancelled", "the staging run cancelled");
    await waitFor(() => !stagingRuns(t!).some((r) => r.sha === firstSha), "its staging branch deleted");
    // Reported as cancelled on the old staging commit, not as failed.
    await waitFor(() => t!.github.state.checkRuns(repo, firstSha).find((c) => c.conclusion === "cancelled"), "cancelled check run");
    const ci = playStaging(t, () => false);
    await waitFor(() => merged(1) && merged(2), "both PRs merged after a retest on the new base", 15_000);
    ci.stop();
    expect(runs(t, "staging").filter((r) => !r.spec.status).every((r) => revision(r) !== firstSha)).toBe(true);
    t.github.assertNoViolations();
  });

  it("a batch member leaving while the Kubernetes API is down: the queue goes on, and the old staging run is cancelled once the API is back", async () => {
    // Enough attempts (50–400 ms apart) for the jobs that need the cluster to outlast the outage.
    t = await startMario("  maxInFlight: 1\n", { retryAttempts: 60 });
    await readyPrs(t, [1, 2]);
    const first = await waitFor(() => runs(t!, "staging").find((r) => prsOf(t!, revision(r)).join() === "1,2"), "a staging run of #1 and #2");
    const firstSha = revision(first);
    t.kube.setDown(true);
    t.github.state.pullRequest(repo, 2).labels.push("do-not-merge/hold");
    await sendPullRequest(t, 2, "labeled");
    // While the cluster is down the queue moves on: #2's status says why it left, the staging run with #2 is
    // stopped (its branch deleted) and #1 is tested alone on a new staging commit.
    await waitFor(() => queueStatus(t!, 2)?.description === "Should not have do-not-merge/hold label", "#2's status says it is held", 10_000);
    await waitFor(() => stagingRuns(t!).some((r) => r.prs.join() === "1") && !stagingRuns(t!).some((r) => r.sha === firstSha), "#1 alone on a new staging commit, #1+#2's branch deleted");
    expect(t.kube.getPipelineRun(ns, first.metadata.name).spec.status).toBeUndefined();

    t.kube.setDown(false);
    await waitFor(() => t!.kube.getPipelineRun(ns, first.metadata.name)?.spec.status === "Cancelled", "#1+#2's staging PipelineRun cancelled once the API is back", 15_000);
    const ci = playStaging(t, () => false);
    await waitFor(() => merged(1), "#1 merged", 20_000);
    ci.stop();
    expect(merged(2)).toBe(false);
    await waitFor(() => t!.github.state.checkRuns(repo, firstSha).find((c) => c.name === "mario/unit-tests" && c.conclusion === "cancelled"), "reported cancelled on the old staging commit");
    t.github.assertNoViolations();
  });

  it("waits its turn under the concurrency limit, like any run", async () => {
    t = await startMario("concurrency:\n  perRepo: 1\n");
    await readyPrs(t, [1, 2]);
    // Two staging runs (#1, and #1+#2 on top of it): one runs, the other waits for the repository's slot.
    // (#1's own run may wait a moment too, for a presubmit's slot; #1+#2's waits until #1's run finished.)
    const waiting = await waitFor(() => runs(t!, "staging").find((r) => r.spec.status === "PipelineRunPending" && prsOf(t!, revision(r)).length === 2), "#1+#2's staging run waiting for a slot");
    await waitFor(() => t!.github.state.checkRuns(repo, revision(waiting)).find((c) => c.name === "mario/unit-tests" && /^Queued \(\d+ ahead\)$/.test(c.output.title ?? "")), "its check run says it is queued");
    const ci = playStaging(t, () => false);
    await waitFor(() => merged(1) && merged(2), "both PRs merged", 20_000);
    ci.stop();
    expect(ci.played.has(waiting.metadata.name)).toBe(true); // it started once a slot was free
    t.github.assertNoViolations();
  });
});
