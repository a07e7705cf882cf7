import { afterEach, describe, expect, it } from "vitest";
import { faults } from "../fakes/fake-github.js";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { metricValue } from "./support/mario-cluster.js";

let t: TestMario;
afterEach(async () => {
  try {
    t.github.assertNoViolations();
  } finally {
    await t.close(); // the replicas stop even when the fake saw a violation
  }
}, 60_000);

const ns = "mario";
const botComments = () => t.github.state.comments(repo, 42).filter((c) => c.user.type === "Bot");
const metrics = async () => (await fetch(`${t.mario.url}/metrics`)).text();

/** Rate limits put a job off for the time asked; they never use up its attempts, so the work is never dropped. */
describe("rate limits never drop work", () => {
  it("11 secondary rate limits in a row, more than the job's 10 attempts: the command still runs, once", async () => {
    t = await startTestMario({ retryAttempts: 10 });
    t.github.failNext({ operationId: "pulls/get" }, faults.secondaryRateLimit(0), 11);
    expect((await t.comment("/build image tag=patient")).status).toBe(200);
    await waitFor(() => t.kube.pipelineRuns(ns).length === 1, "the run, after 11 rate limits", 30_000);
    await waitFor(() => t.github.state.checkRuns(repo).length === 1 && botComments().length === 1, "reported once", 15_000);
    await settle(800);
    expect(t.kube.pipelineRuns(ns)).toHaveLength(1);
    expect(t.github.state.checkRuns(repo)).toHaveLength(1);
    expect(botComments()).toHaveLength(1);
    expect(t.github.requestsFor("pulls/get").filter((r) => r.status === 403)).toHaveLength(11);
    const m = await metrics();
    expect(metricValue(m, "mario_jobs_total", { name: "comment", outcome: "deferred" })).toBeGreaterThanOrEqual(11);
    expect(metricValue(m, "mario_jobs_total", { name: "comment", outcome: "retrying" })).toBe(0);
    expect(metricValue(m, "mario_rate_limited_total", { api: "github" })).toBeGreaterThanOrEqual(11);
  }, 60_000);

  it("a primary rate limit (remaining 0) with a job of one attempt: it waits for the reset, then runs", async () => {
    t = await startTestMario({ retryAttempts: 1 });
    t.github.failNext({ operationId: "pulls/get" }, faults.primaryRateLimit(2), 1);
    expect((await t.comment("/build image tag=after-reset")).status).toBe(200);
    await waitFor(() => t.kube.pipelineRuns(ns).length === 1, "the run after the reset", 20_000);
    await waitFor(() => t.github.state.checkRuns(repo).length === 1, "its check run", 10_000);
    // Nothing was sent to GitHub for this installation between the limit and its reset time (but a token).
    const limited = t.github.requests.find((r) => r.status === 403)!;
    const next = t.github.requests.find((r) => r.at > limited.at && r.operationId !== "apps/create-installation-access-token")!;
    expect(next.operationId).toBe("pulls/get");
    expect(next.at - limited.at).toBeGreaterThanOrEqual(900);
    expect(metricValue(await metrics(), "mario_jobs_total", { name: "comment", outcome: "failed" })).toBe(0);
  }, 40_000);

  it("Kubernetes answering 429 more times than the job has attempts: the run is created once, not given up", async () => {
    t = await startTestMario({ retryAttempts: 2 });
    t.kube.failNext({ method: "POST", path: /\/pipelineruns$/ }, { status: 429 }, 3);
    expect((await t.comment("/build image tag=throttled")).status).toBe(200);
    await waitFor(() => t.kube.pipelineRuns(ns).length === 1, "the run after three 429s", 20_000);
    const check = await waitFor(() => t.github.state.checkRuns(repo).find((c) => c.output.title === "Queued"), "the check run says Queued", 10_000);
    expect(check.conclusion).toBeNull();
    const posts = t.kube.requests.filter((r) => r.method === "POST" && /\/pipelineruns$/.test(r.path)).map((r) => r.status);
    expect(posts).toEqual([429, 429, 429, 201]);
    const m = await metrics();
    expect(metricValue(m, "mario_rate_limited_total", { api: "kubernetes" })).toBe(3);
    expect(metricValue(m, "mario_api_requests_total", { api: "kubernetes", operation: "createPipelineRun", outcome: "429" })).toBe(3);
  }, 40_000);
});
