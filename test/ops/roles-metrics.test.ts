import { afterEach, describe, expect, it } from "vitest";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { metricValue } from "./support/mario-cluster.js";

let t: TestMario;
afterEach(async () => {
  t.github.assertNoViolations();
  await t.close();
});

const get = async (t: TestMario, path: string) => {
  const res = await fetch(`${t.mario.url}${path}`);
  return { status: res.status, text: await res.text(), type: res.headers.get("content-type") };
};

describe("/metrics", () => {
  it("counts webhooks, commands, jobs, run states and API calls as a /build goes through", async () => {
    t = await startTestMario();
    await t.comment("/build image tag=metrics");
    await t.comment("/build image tag=no!", { user: "bob" });
    await waitFor(() => t.github.state.checkRuns(repo)[0], "check run");
    await waitFor(() => t.github.state.comments(repo, 42).filter((c) => c.user.type === "Bot").length === 2, "the run comment and the refusal");
    await settle(300);
    const { status, text, type } = await get(t, "/metrics");
    expect(status).toBe(200);
    expect(type).toContain("text/plain");
    expect(metricValue(text, "mario_webhooks_total", { event: "issue_comment", outcome: "accepted" })).toBe(2);
    expect(metricValue(text, "mario_commands_total", { verb: "build", outcome: "started" })).toBe(1);
    expect(metricValue(text, "mario_commands_total", { verb: "build", outcome: "refused" })).toBe(1);
    expect(metricValue(text, "mario_jobs_total", { name: "comment", outcome: "completed" })).toBe(2);
    expect(metricValue(text, "mario_job_wait_seconds_count", { name: "comment" })).toBe(2);
    expect(metricValue(text, "mario_pipelineruns_total", { state: "creating" })).toBe(1);
    expect(metricValue(text, "mario_api_requests_total", { api: "kubernetes", operation: "createPipelineRun", outcome: "ok" })).toBe(1);
    expect(metricValue(text, "mario_api_requests_total", { api: "github", operation: "createCheckRun", outcome: "ok" })).toBe(1);
    expect(text).toMatch(/^mario_github_rate_limit_remaining\{installation="1"\} \d+/m);
    expect(metricValue(text, "mario_lease_held", { duty: "watch-runs" })).toBe(1);
    expect(text).toMatch(/^mario_queue_jobs\{state="waiting"\} 0$/m);
    expect(text).toContain("process_resident_memory_bytes");
  });

  it("counts a rejected webhook (bad signature)", async () => {
    t = await startTestMario();
    const res = await fetch(`${t.mario.url}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "issue_comment", "x-github-delivery": "d-1", "x-hub-signature-256": "sha256=00" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(metricValue((await get(t, "/metrics")).text, "mario_webhooks_total", { event: "issue_comment", outcome: "rejected" })).toBe(1);
  });
});

describe("MARIO_ROLE", () => {
  it("web: takes webhooks, runs no job, and stays ready while the Kubernetes API is down", async () => {
    t = await startTestMario({ env: { MARIO_ROLE: "web" } });
    expect((await t.comment("/build image")).status).toBe(200);
    await settle(800);
    expect(t.kube.pipelineRuns()).toEqual([]);
    expect(metricValue((await get(t, "/metrics")).text, "mario_queue_jobs", { state: "waiting" })).toBe(1);
    t.kube.setDown(true);
    const ready = await get(t, "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.text).toContain("kubernetes: ");
    expect(ready.text).not.toContain("kubernetes: ok");
  });

  it("worker: serves health and metrics but no webhooks or pages; unready while the Kubernetes API is down", async () => {
    t = await startTestMario({ env: { MARIO_ROLE: "worker" } });
    expect((await t.comment("/build image")).status).toBe(404);
    expect((await get(t, "/runs/mario/x")).status).toBe(404);
    expect((await get(t, "/metrics")).status).toBe(200);
    expect((await get(t, "/readyz")).status).toBe(200);
    t.kube.setDown(true);
    expect((await get(t, "/readyz")).status).toBe(503);
  });

  it("closing turns /readyz to 503 before the server stops", async () => {
    t = await startTestMario();
    const closing = t.mario.close();
    const during = await fetch(`${t.mario.url}/readyz`).then((r) => r.status, () => "closed");
    await closing;
    expect([503, "closed"]).toContain(during);
    t.mario.close = async () => undefined; // already closed; the afterEach closes the fakes
  });
});
