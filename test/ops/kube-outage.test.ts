import { afterEach, describe, expect, it } from "vitest";
import { settle, waitFor } from "../support/test-mario.js";
import { redisUrl } from "../support/test-redis.js";
import { metricValue, ns, repo, startCluster, type Cluster } from "./support/mario-cluster.js";

let c: Cluster;
afterEach(async () => {
  try {
    c.github.assertNoViolations();
  } finally {
    await c.close(); // the replicas stop even when the fake saw a violation
  }
}, 60_000);

const status = async (url: string) => (await fetch(`${url}/readyz`).catch(() => undefined))?.status;
const checkTitles = (c: Cluster) => c.github.requests.filter((r) => r.operationId === "checks/create" || r.operationId === "checks/update").map((r) => (r.body as { output?: { title?: string } }).output?.title);

// The full 30 seconds, with production retry and watch backoff (only the lease and job lock are shortened).
const outageMs = 30_000;

describe("the Kubernetes API down for 30 s", () => {
  it("webhooks are still taken, work waits visibly, and after the outage every run starts once and is reported", async () => {
    c = await startCluster({ redisUrl: redisUrl() });
    const web = await c.start("web");
    const workers = [await c.start("worker"), await c.start("worker")];
    await c.comment("/build image tag=before");
    // Generous waits before the outage: three processes share the machine, and only the outage's timing matters here.
    const first = await waitFor(() => c.kube.pipelineRuns(ns)[0], "the first run", 30_000);
    c.kube.startRun(ns, first.metadata.name, { tasks: [{ name: "build" }] });
    await waitFor(() => c.github.state.checkRuns(repo)[0]?.status === "in_progress", "the first run in progress", 30_000);

    c.kube.setDown(true);
    const downAt = Date.now();
    // Workers are unready (they need the API); the web replica stays in service, so GitHub's webhooks still land.
    await waitFor(async () => (await status(workers[0]!.url)) === 503, "worker /readyz failing");
    expect(await status(web.url)).toBe(200);
    const { status: accepted } = await c.comment("/build image tag=during");
    expect(accepted).toBe(200);
    await waitFor(() => checkTitles(c).includes("Waiting for the Kubernetes API"), "the PR showing the wait", 20_000);
    // The first run finishes while mario cannot see it.
    c.kube.finishRun(ns, first.metadata.name, { status: "True", reason: "Succeeded" });
    await new Promise((r) => setTimeout(r, Math.max(0, outageMs - (Date.now() - downAt))));
    c.kube.setDown(false);

    await waitFor(() => c.kube.pipelineRuns(ns).length === 2, "the second run, created after the outage", 60_000);
    await waitFor(() => c.github.state.checkRuns(repo).find((x) => x.status === "completed")?.conclusion === "success", "the first run reported", 60_000);
    await waitFor(() => c.github.state.checkRuns(repo).filter((x) => x.output.title === "Queued").length === 1, "the second run reported queued", 30_000);
    for (const w of workers) await waitFor(async () => (await status(w.url)) === 200, `${w.name} ready again`, 15_000);
    await settle(1500);
    expect(c.kube.pipelineRuns(ns)).toHaveLength(2);
    expect(c.github.state.checkRuns(repo)).toHaveLength(2);
    expect(c.github.state.comments(repo, 42).filter((x) => x.user.type === "Bot")).toHaveLength(2);
    const failures = (await Promise.all(workers.map((w) => c.metrics(w)))).reduce((n, m) => n + metricValue(m, "mario_api_requests_total", { api: "kubernetes", outcome: "503" }), 0);
    expect(failures).toBeGreaterThan(0);
  }, 150_000);
});
