import { afterEach, describe, expect, it } from "vitest";
import { addOrgMember } from "../fakes/github-org-routes.js";
import { repo, settle, waitFor, type TestMario } from "../support/test-mario.js";
import { botComments, checksNamed, completedCheck, ns, playRun, runsOf, sendPullRequest, startJobsMario, waitForRuns } from "./lifecycle-support.js";

let t: TestMario;
afterEach(async () => {
  t.github.assertNoViolations();
  await t.close();
});

describe("presubmit jobs on pull_request events", () => {
  it("starts the jobs matching repo, branch and changed paths, each with its own check run and no PR comment", async () => {
    t = await startJobsMario();
    const pr = t.github.state.pullRequest(repo, 42);
    await sendPullRequest(t, "opened");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    const [lint] = await waitForRuns(t, "lint", 1);
    await settle(300);
    expect(runsOf(t, "docs")).toEqual([]); // docs/** did not change
    expect(unit.spec.params).toEqual(expect.arrayContaining([{ name: "GIT_REVISION", value: pr.head.sha }]));
    expect(unit.metadata.labels["mario.dev/head-sha"]).toBe(pr.head.sha);

    const unitCheck = await waitFor(() => checksNamed(t, "mario/unit-tests", pr.head.sha)[0], "unit-tests check");
    expect(unitCheck.status).toBe("queued");
    expect(unitCheck.externalId).toBe(`${ns}/${unit.metadata.name}`);
    playRun(t, unit.metadata.name, "Succeeded");
    playRun(t, lint.metadata.name, "Failed", "src/app.ts:3:7: error TS2304: Cannot find name 'x'.\n");
    expect((await completedCheck(t, unitCheck.id)).conclusion).toBe("success");
    const lintCheck = checksNamed(t, "mario/lint", pr.head.sha)[0]!;
    const failed = await completedCheck(t, lintCheck.id);
    expect(failed.conclusion).toBe("failure");
    expect(failed.output.summary).toContain("Failed in task `test`, step `run`");
    expect(failed.output.annotations).toEqual([{ path: "src/app.ts", start_line: 3, end_line: 3, annotation_level: "failure", message: "error TS2304: Cannot find name 'x'." }]);
    expect(botComments(t)).toEqual([]); // job runs report through check runs only
  });

  it("makes an outside contributor's PR wait for /ok-to-test; only a trusted user's approval starts it, for that head", async () => {
    t = await startJobsMario();
    t.github.state.addPullRequest(repo, { number: 7, user: "mallory", files: [{ filename: "src/x.ts", status: "added", additions: 1, deletions: 0 }] });
    const pr = t.github.state.pullRequest(repo, 7);
    await sendPullRequest(t, "opened", { number: 7 });
    const waiting = await waitFor(() => (checksNamed(t, "mario/unit-tests", pr.head.sha).length && checksNamed(t, "mario/lint", pr.head.sha).length ? checksNamed(t, "mario/unit-tests", pr.head.sha)[0] : undefined), "awaiting checks");
    expect(waiting).toMatchObject({ status: "queued", output: expect.objectContaining({ title: "Awaiting /ok-to-test" }) });
    expect(t.kube.pipelineRuns(ns)).toEqual([]);

    // mallory cannot approve herself; bob (read access) is not trusted either.
    await t.comment("/ok-to-test", { user: "mallory", prNumber: 7 });
    await t.comment("/ok-to-test", { user: "bob", prNumber: 7 });
    await waitFor(() => t.github.state.comments(repo, 7).filter((c) => c.user.type === "Bot").length === 2, "two refusals");
    for (const c of t.github.state.comments(repo, 7).filter((c) => c.user.type === "Bot")) expect(c.body).toContain("is for collaborators and organization members of octo");
    expect(t.kube.pipelineRuns(ns)).toEqual([]);

    // A sha that is not the head is refused: someone pushed after the review.
    await t.comment("/ok-to-test 0000000", { user: "alice", prNumber: 7 });
    await waitFor(() => t.github.state.comments(repo, 7).some((c) => c.body.includes("someone pushed after the commit you reviewed")), "stale sha refused");

    await t.comment(`/ok-to-test ${pr.head.sha.slice(0, 10)}`, { user: "alice", prNumber: 7 });
    const [run] = await waitForRuns(t, "unit-tests", 1);
    await waitForRuns(t, "lint", 1);
    // The run took over the awaiting check run instead of adding a second one.
    await waitFor(() => t.github.state.checkRun(waiting.id)?.externalId === `${ns}/${run.metadata.name}`, "awaiting check taken over");
    expect(checksNamed(t, "mario/unit-tests", pr.head.sha)).toHaveLength(1);

    // A new push needs a new approval.
    const before = pr.head.sha;
    const next = t.github.state.pushToPullRequest(repo, 7);
    await sendPullRequest(t, "synchronize", { number: 7, before });
    await waitFor(() => checksNamed(t, "mario/unit-tests", next)[0]?.output.title === "Awaiting /ok-to-test", "new head awaits approval");
    expect(runsOf(t, "unit-tests")).toHaveLength(1);
  });

  it("with okToTestPerPush: false, one /ok-to-test also covers later pushes", async () => {
    t = await startJobsMario("trust:\n  okToTestPerPush: false\n");
    t.github.state.addPullRequest(repo, { number: 7, user: "mallory", files: [{ filename: "src/x.ts", status: "added", additions: 1, deletions: 0 }] });
    const pr = t.github.state.pullRequest(repo, 7);
    await sendPullRequest(t, "opened", { number: 7 });
    await waitFor(() => checksNamed(t, "mario/unit-tests", pr.head.sha)[0]?.output.title === "Awaiting /ok-to-test", "awaiting approval");
    await t.comment("/ok-to-test", { user: "alice", prNumber: 7 });
    await waitForRuns(t, "unit-tests", 1);
    const before = pr.head.sha;
    const next = t.github.state.pushToPullRequest(repo, 7);
    await sendPullRequest(t, "synchronize", { number: 7, before });
    await waitFor(() => runsOf(t, "unit-tests").some((r) => r.metadata.labels["mario.dev/head-sha"] === next), "the new head runs without a new approval");
    expect(checksNamed(t, "mario/unit-tests", next).map((c) => c.output.title)).not.toContain("Awaiting /ok-to-test");
  });

  it("matches jobs by the base branch pattern: a PR to another branch runs only the jobs for it, and /test knows only those", async () => {
    t = await startJobsMario();
    t.github.state.addPullRequest(repo, { number: 11, user: "carol", base: { ref: "release-1" }, files: [{ filename: "src/y.ts", status: "modified", additions: 1, deletions: 0 }] });
    await sendPullRequest(t, "opened", { number: 11 });
    await waitForRuns(t, "lint", 1); // lint takes any branch
    await settle(300);
    expect(runsOf(t, "unit-tests")).toEqual([]); // unit-tests is for ^main$ only
    await t.comment("/test unit-tests", { prNumber: 11 });
    const reply = await waitFor(() => t.github.state.comments(repo, 11).find((c) => c.user.type === "Bot"), "reply");
    expect(reply.body).toContain("I don't know `unit-tests`, so nothing ran. Jobs for this pull request: `lint` (optional), `docs`.");
    expect(runsOf(t, "unit-tests")).toEqual([]);
  });

  it("trusts members of the repository's organization without write access", async () => {
    t = await startJobsMario();
    addOrgMember(t.github.state, "octo", "dora");
    t.github.state.addPullRequest(repo, { number: 8, user: "dora" });
    await sendPullRequest(t, "opened", { number: 8 });
    await waitForRuns(t, "unit-tests", 1);
    expect(t.github.requestsFor("orgs/check-membership-for-user")).toHaveLength(1);
  });

  it("gives a fork's PR no secret the config did not declare fork-safe, in job and command runs, and the fork service account", async () => {
    t = await startJobsMario("trust:\n  forkServiceAccount: fork-runner\n");
    t.github.state.addRepo("alice/demo");
    t.github.state.addPullRequest(repo, { number: 9, user: "alice", head: { repo: "alice/demo", ref: "fix" } });
    await sendPullRequest(t, "opened", { number: 9 });
    const [run] = await waitForRuns(t, "unit-tests", 1);
    expect(run.spec.workspaces).toEqual([{ name: "credentials", emptyDir: {} }]);
    expect(run.spec.taskRunTemplate).toEqual({ serviceAccountName: "fork-runner" });
    // A command on the fork's PR: its registry credentials are not mounted, and it runs as the fork account.
    await t.comment("/build", { prNumber: 9 });
    const [build] = await waitForRuns(t, "build", 1);
    expect(build.spec.workspaces).toEqual([{ name: "registry", emptyDir: {} }]);
    expect(build.spec.taskRunTemplate).toEqual({ serviceAccountName: "fork-runner" });

    // PR #42 is not from a fork: it keeps the secrets and the configured service account.
    await sendPullRequest(t, "opened");
    await waitForRuns(t, "unit-tests", 2);
    const own = runsOf(t, "unit-tests").find((r) => r.metadata.labels["mario.dev/pr"] === "42");
    expect(own.spec.workspaces).toEqual([{ name: "credentials", secret: { secretName: "test-credentials" } }]);
    expect(own.spec.taskRunTemplate).toEqual({ serviceAccountName: "mario-runner" });
    await t.comment("/build");
    await waitForRuns(t, "build", 2);
    const ownBuild = runsOf(t, "build").find((r) => r.metadata.labels["mario.dev/pr"] === "42");
    expect(ownBuild.spec.workspaces).toEqual([{ name: "registry", secret: { secretName: "registry-credentials" } }]);
    expect(ownBuild.spec.taskRunTemplate).toEqual({ serviceAccountName: "builder" });
  });

  it("on a push, cancels the old head's runs after creating the new ones, and reports them cancelled", async () => {
    t = await startJobsMario();
    const pr = t.github.state.pullRequest(repo, 42);
    await sendPullRequest(t, "opened");
    const [old] = await waitForRuns(t, "unit-tests", 1);
    t.kube.startRun(ns, old.metadata.name, { tasks: [{ name: "test", steps: ["run"] }] });
    const oldCheck = await waitFor(() => checksNamed(t, "mario/unit-tests", pr.head.sha).find((c) => c.status === "in_progress"), "old run in progress");
    // A build command on the old head is not a job: the push leaves it alone.
    await t.comment("/build");
    await waitForRuns(t, "build", 1);

    const before = pr.head.sha;
    const head = t.github.state.pushToPullRequest(repo, 42);
    await sendPullRequest(t, "synchronize", { before });
    const runs = await waitForRuns(t, "unit-tests", 2);
    const fresh = runs.find((r) => r.metadata.labels["mario.dev/head-sha"] === head);
    expect((await completedCheck(t, oldCheck.id)).conclusion).toBe("cancelled");
    // The new run's own create came in before the old run's cancel.
    const created = t.kube.requests.findIndex((r) => r.method === "POST" && r.path.endsWith("/pipelineruns") && r.name === fresh.metadata.name);
    const patched = t.kube.requests.findIndex((r) => r.method === "PATCH" && r.path.endsWith(`/pipelineruns/${old.metadata.name}`));
    expect(created).toBeGreaterThanOrEqual(0);
    expect(patched).toBeGreaterThan(created);
    expect(t.kube.getPipelineRun(ns, old.metadata.name).spec.status).toBe("Cancelled");
    expect(t.kube.getPipelineRun(ns, fresh.metadata.name).spec.status).toBeUndefined();
    expect(runsOf(t, "build")[0].spec.status).toBeUndefined();
  });

  it("cancels a run whose creation was still being retried when a push arrived", async () => {
    t = await startJobsMario();
    const pr = t.github.state.pullRequest(repo, 42);
    // The first creation of unit-tests answers 503: its job retries later.
    t.kube.failNext({ method: "POST", path: /pipelineruns$/ }, { status: 503 }, 1);
    await sendPullRequest(t, "opened");
    await waitFor(() => checksNamed(t, "mario/unit-tests", pr.head.sha)[0]?.output.title === "Waiting for the Kubernetes API", "waiting for the cluster");
    const before = pr.head.sha;
    const head = t.github.state.pushToPullRequest(repo, 42);
    await sendPullRequest(t, "synchronize", { before });
    await waitFor(() => runsOf(t, "unit-tests").some((r) => r.metadata.labels["mario.dev/head-sha"] === head), "new head's run");
    // The old head's retry finds it superseded: it never creates its run, and its check says cancelled.
    await waitFor(() => checksNamed(t, "mario/unit-tests", before)[0]?.conclusion === "cancelled", "old check cancelled", 15_000);
    await settle(300);
    expect(runsOf(t, "unit-tests").filter((r) => r.metadata.labels["mario.dev/head-sha"] === before && r.spec.status !== "Cancelled")).toEqual([]);
  });

  it("a retried /test that finds its head replaced cancels the PipelineRun its first attempt created", async () => {
    t = await startJobsMario("", { env: { KUBE_REQUEST_TIMEOUT_MS: "10000" } });
    const before = t.github.state.pullRequest(repo, 42).head.sha;
    // The first attempt creates unit-tests, then lint's create answers 503: the command is retried, and the
    // retry's look at the pull request (still on the old head) is slow to come back.
    let fetched: (() => void) | undefined;
    t.kube.onEvent((event) => {
      if (fetched || event.type !== "ADDED" || event.resource !== "pipelineruns") return;
      t.kube.failNext({ method: "POST", path: /pipelineruns$/ }, { status: 503 });
      fetched = t.github.holdResponse({ operationId: "pulls/get" });
    });
    await t.comment("/test unit-tests lint");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    await waitFor(() => t.github.requestsFor("pulls/get").length === 2, "the retry looking at the pull request");
    // Meanwhile a push replaces the head. Its own create is slow to answer, so it has cancelled nothing yet.
    const answer = t.kube.holdResponse({ method: "POST", path: /pipelineruns$/ });
    t.github.state.pushToPullRequest(repo, 42);
    await sendPullRequest(t, "synchronize", { before });
    const posts = () => t.kube.requests.filter((r) => r.method === "POST" && r.path.endsWith("/pipelineruns"));
    await waitFor(() => posts().length === 3, "the push creating the new head's run");

    fetched!();
    await waitFor(() => t.kube.getPipelineRun(ns, unit.metadata.name).spec.status === "Cancelled", "the old head's run cancelled by the retry", 5000);
    expect((await completedCheck(t, checksNamed(t, "mario/unit-tests", before)[0]!.id)).conclusion).toBe("cancelled");
    expect((await completedCheck(t, checksNamed(t, "mario/lint", before)[0]!.id)).conclusion).toBe("cancelled");
    answer();
    await settle(300);
    expect(runsOf(t, "lint").filter((r) => r.metadata.labels["mario.dev/head-sha"] === before)).toEqual([]);
  });

  it("cancels every run of a PR when it is closed (queued ones included) and starts nothing for it afterwards", async () => {
    t = await startJobsMario();
    await sendPullRequest(t, "opened");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    t.kube.startRun(ns, unit.metadata.name, { tasks: [{ name: "test" }] });
    await waitForRuns(t, "lint", 1);
    t.github.state.pullRequest(repo, 42).state = "closed";
    await sendPullRequest(t, "closed");
    await waitFor(() => t.kube.pipelineRuns(ns).every((r) => r.spec.status === "Cancelled"), "every run cancelled");
    await waitFor(() => t.github.state.checkRuns(repo).every((c) => c.conclusion === "cancelled"), "checks cancelled");
  });
});
