import { afterEach, describe, expect, it } from "vitest";
import { settle, waitFor } from "../support/test-mario.js";
import { redisUrl } from "../support/test-redis.js";
import { leakedSecrets, logLines, metricValue, ns, repo, startCluster, type Cluster } from "./support/mario-cluster.js";

let c: Cluster;
afterEach(async () => {
  try {
    c.github.assertNoViolations();
  } finally {
    await c.close(); // the replicas stop even when the fake saw a violation
  }
}, 60_000);

const botComments = (c: Cluster) => c.github.state.comments(repo, 42).filter((x) => x.user.type === "Bot");

describe("a replica killed with SIGKILL", () => {
  it("in the middle of creating a PipelineRun: another worker finishes the job; exactly one run, one check run, one comment", async () => {
    c = await startCluster({ redisUrl: redisUrl() });
    const web = await c.start("web");
    const a = await c.start("worker");
    await waitFor(async () => metricValue(await c.metrics(a), "mario_lease_held", { duty: "watch-runs" }) === 1, "worker A drives the watcher");

    // The API server has stored the run when A is killed: A never sees the answer, nor records or reports it.
    let killed = false;
    c.kube.onEvent((event) => {
      if (!killed && event.type === "ADDED" && event.resource === "pipelineruns") {
        killed = true;
        a.kill();
      }
    });
    const { status, deliveryId } = await c.comment("/build image tag=kill9");
    expect(status).toBe(200);
    await waitFor(() => killed, "worker A killed inside the create");
    expect(await a.exited).toBeNull(); // ended by the signal, no shutdown code ran
    expect(c.github.state.checkRuns(repo)).toEqual([]);

    // B takes the stalled job over once A's claim lapses, gets 409 for the run A created, and reports that run.
    const b = await c.start("worker");
    const check = await waitFor(() => c.github.state.checkRuns(repo)[0], "the check run, reported by B", 20_000);
    expect(check.output.title).toBe("Queued");
    // A's create (stored, its answer never read) and B's retry of the stalled job, which finds the run: 409.
    const posts = () => c.kube.requests.filter((r) => r.method === "POST" && /\/pipelineruns$/.test(r.path)).map((r) => r.status);
    await waitFor(() => posts().length === 2, "B retrying the job A was killed in", 20_000);
    expect(posts()).toEqual([201, 409]);

    // B also took the watcher over from A (its lease expired): the run's progress is still reported.
    await waitFor(async () => metricValue(await c.metrics(b), "mario_lease_held", { duty: "watch-runs" }) === 1, "worker B drives the watcher");
    const run = c.kube.pipelineRuns(ns)[0];
    c.kube.startRun(ns, run.metadata.name, { tasks: [{ name: "build" }] });
    c.kube.finishRun(ns, run.metadata.name, { status: "True", reason: "Succeeded" });
    const done = await waitFor(() => c.github.state.checkRuns(repo).find((x) => x.status === "completed"), "the run's conclusion", 20_000);
    expect(done.conclusion).toBe("success");
    await waitFor(() => botComments(c)[0]?.body.includes("Succeeded"), "the comment edited to Succeeded");

    await settle(1500);
    expect(c.kube.pipelineRuns(ns)).toHaveLength(1);
    expect(c.github.state.checkRuns(repo)).toHaveLength(1);
    expect(botComments(c)).toHaveLength(1);
    const metrics = await c.metrics(b);
    expect(metricValue(metrics, "mario_commands_total", { verb: "build", outcome: "started" })).toBe(1);
    expect(metricValue(metrics, "mario_api_requests_total", { api: "kubernetes", operation: "createPipelineRun", outcome: "ok" })).toBe(1);

    // The JSON logs follow the webhook by its delivery id: from the web replica that took it to A, which started
    // the job, and B, which finished it. No replica printed the webhook secret or the App's private key.
    const lines = (r: typeof web) => logLines(r).lines.filter((l) => l.delivery === deliveryId);
    expect(lines(web).map((l) => l.msg)).toContain("webhook answered");
    expect(lines(b).filter((l) => l.msg === "job done").map((l) => l.job)).toEqual(["comment"]);
    expect(lines(b).every((l) => l.job === "comment")).toBe(true);
    for (const r of [web, a, b]) {
      expect(logLines(r).other, `${r.name} printed only JSON lines`).toEqual([]);
      expect(leakedSecrets(r), r.name).toEqual([]);
    }
  }, 90_000);
});
