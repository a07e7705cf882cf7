import { afterEach, describe, expect, it } from "vitest";
import { faults } from "../fakes/fake-github.js";
import { repo, startTestMario, waitFor, settle, type TestMario } from "../support/test-mario.js";

let t: TestMario;
afterEach(async () => {
  t.github.assertNoViolations();
  await t.close();
});

const ns = "mario";
const checkBodies = (t: TestMario) => t.github.requests.filter((r) => r.operationId === "checks/create" || r.operationId === "checks/update").map((r) => r.body as { status: string; conclusion?: string; output?: { title: string; summary: string } });

describe("Kubernetes faults", () => {
  it("shows 'waiting for the Kubernetes API' on the PR while it answers 500, then starts exactly one run", async () => {
    t = await startTestMario();
    t.kube.failNext({ method: "POST", path: /pipelineruns/ }, { status: 500 }, 2);
    await t.comment("/build image tag=retry");
    const run = await waitFor(() => t.kube.pipelineRuns(ns)[0], "the PipelineRun after retries");
    await waitFor(() => checkBodies(t).some((b) => b.output?.title === "Queued"), "check run queued");
    const waiting = checkBodies(t).find((b) => b.output?.title === "Waiting for the Kubernetes API");
    expect(waiting?.status).toBe("queued");
    expect(waiting?.output?.summary).toContain("Kubernetes API answered 500");
    expect(waiting?.output?.summary).toMatch(/Retrying \(attempt 1 of 4\)/);
    await settle();
    expect(t.kube.pipelineRuns(ns)).toHaveLength(1);
    expect(t.github.state.checkRuns(repo)).toHaveLength(1);
    expect(run.metadata.name).toMatch(/^mario-build-42-/);
  });

  it("retries when the Kubernetes API does not answer in time", async () => {
    t = await startTestMario();
    t.kube.failNext({ method: "POST", path: /pipelineruns/ }, { status: 200, hang: true }, 1);
    await t.comment("/build image tag=slow");
    await waitFor(() => t.kube.pipelineRuns(ns).length === 1, "the PipelineRun after a timeout");
    expect(checkBodies(t)[0]?.output?.summary).toContain("timed out after 1000 ms");
  });

  it("gives up after the last attempt and says so on the check run and in the comment", async () => {
    t = await startTestMario({ retryAttempts: 3 });
    t.kube.setDown(true);
    await t.comment("/build image tag=down");
    const check = await waitFor(() => t.github.state.checkRuns(repo).find((c) => c.status === "completed"), "failed check run", 15_000);
    expect(check.conclusion).toBe("failure");
    expect(check.output.title).toBe("Could not start");
    expect(check.output.summary).toContain("gave up after 3 attempts");
    const comment = await waitFor(() => t.github.state.comments(repo, 42).find((c) => c.body.includes("Could not start")), "comment");
    expect(comment.body).toContain("gave up after 3 attempts");
    expect(t.kube.pipelineRuns(ns)).toEqual([]);
  });

  it("reports a PipelineRun deleted while it runs", async () => {
    t = await startTestMario();
    await t.comment("/build image");
    const run = await waitFor(() => t.kube.pipelineRuns(ns)[0], "PipelineRun");
    t.kube.startRun(ns, run.metadata.name, { tasks: [{ name: "build" }] });
    await waitFor(() => t.github.state.checkRuns(repo)[0]?.status === "in_progress", "in progress");
    t.kube.deletePipelineRun(ns, run.metadata.name);
    const check = await waitFor(() => t.github.state.checkRuns(repo).find((c) => c.status === "completed"), "concluded");
    expect(check.conclusion).toBe("cancelled");
    expect(check.output.title).toBe("Deleted before it finished");
    expect(check.output.summary).toContain("deleted from the cluster before it finished");
  });

  it("keeps reporting after the watch drops (resumes from the last resourceVersion)", async () => {
    t = await startTestMario();
    await t.comment("/build image");
    const run = await waitFor(() => t.kube.pipelineRuns(ns)[0], "PipelineRun");
    t.kube.dropWatches();
    t.kube.startRun(ns, run.metadata.name, { tasks: [{ name: "build" }] });
    t.kube.finishRun(ns, run.metadata.name, { status: "True", reason: "Succeeded" });
    const check = await waitFor(() => t.github.state.checkRuns(repo).find((c) => c.status === "completed"), "concluded");
    expect(check.conclusion).toBe("success");
    const watches = t.kube.requests.filter((r) => r.query.watch === "true" || r.query.watch === "1");
    expect(watches.length).toBeGreaterThanOrEqual(2);
    expect(watches.at(-1)?.query.resourceVersion).not.toBe("");
  });
});

describe("GitHub faults", () => {
  it("retries a 502 from GitHub and still starts one run", async () => {
    t = await startTestMario();
    t.github.failNext({ operationId: "pulls/get" }, faults.badGateway(), 1);
    await t.comment("/build image tag=gh502");
    await waitFor(() => t.github.state.checkRuns(repo)[0], "check run");
    expect(t.kube.pipelineRuns(ns)).toHaveLength(1);
    expect(t.github.requestsFor("pulls/get").map((r) => r.status)).toEqual([502, 200]);
  });

  it("waits as long as a secondary rate limit asks before writing again", async () => {
    t = await startTestMario();
    t.github.failNext({ operationId: "checks/create" }, faults.secondaryRateLimit(1), 1);
    await t.comment("/build image tag=limited");
    await waitFor(() => t.github.state.checkRuns(repo)[0], "check run", 15_000);
    const [limited, ok] = t.github.requestsFor("checks/create");
    expect(limited?.status).toBe(403);
    expect(ok?.status).toBe(201);
    expect(ok!.at - limited!.at).toBeGreaterThanOrEqual(1000);
    expect(t.kube.pipelineRuns(ns)).toHaveLength(1);
    expect(t.github.state.comments(repo, 42).filter((c) => c.user.type === "Bot")).toHaveLength(1);
  });
});
