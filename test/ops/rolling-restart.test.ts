import { afterEach, describe, expect, it } from "vitest";
import { settle, waitFor } from "../support/test-mario.js";
import { redisUrl } from "../support/test-redis.js";
import { leakedSecrets, logLines, ns, repo, startCluster, type Cluster, type Replica } from "./support/mario-cluster.js";

let c: Cluster;
afterEach(async () => {
  try {
    c.github.assertNoViolations();
  } finally {
    await c.close(); // the replicas stop even when the fake saw a violation
  }
}, 60_000);

const runTags = (c: Cluster) => c.kube.pipelineRuns(ns).map((r) => /tag=(\S+)/.exec(r.metadata.annotations?.["mario.dev/command-line"] ?? "")?.[1]);

describe("a rolling restart of every replica", () => {
  it("loses no webhook and no job, and each replica exits cleanly on SIGTERM", async () => {
    c = await startCluster({ redisUrl: redisUrl() });
    // The test plays the Service: it sends only to web replicas in rotation, and takes one out before its
    // SIGTERM, as Kubernetes removes the endpoint (preStop) before the container is told to stop.
    const rotation: Replica[] = [await c.start("web"), await c.start("web")];
    const workers: Replica[] = [await c.start("worker"), await c.start("worker")];
    const acked: string[] = [];
    const failed: string[] = [];
    const deliveries = new Map<string, string>(); // tag → X-GitHub-Delivery
    let i = 0;
    const stream = (async () => {
      for (; i < 60; i++) {
        const to = rotation[i % rotation.length]!;
        const tag = `r${i}`;
        const { status, deliveryId } = await c.comment(`/build image tag=${tag}`, { to });
        (status === 200 ? acked : failed).push(tag);
        deliveries.set(tag, deliveryId);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const exits: (number | null)[] = [];
    for (const role of ["web", "web", "worker", "worker"] as const) {
      await waitFor(() => i > 8 + exits.length * 10, "some traffic first", 30_000);
      const pool = role === "web" ? rotation : workers;
      const old = pool.shift()!;
      pool.push(await c.start(role)); // surge first, like maxUnavailable: 0
      exits.push(await old.stop());
    }
    await stream;
    expect(failed).toEqual([]);
    expect(acked).toHaveLength(60);
    expect(exits).toEqual([0, 0, 0, 0]);
    await waitFor(() => acked.every((t) => runTags(c).includes(t)), "a run for every webhook", 60_000);
    await waitFor(() => c.github.state.checkRuns(repo).length === 60, "a check run for every run", 60_000);
    await settle(1500);
    expect(runTags(c)).toHaveLength(60);
    expect(c.github.state.checkRuns(repo)).toHaveLength(60);

    // The JSON logs follow each webhook from the web replica that took it to the worker that handled it, by its
    // delivery id; and no replica ever printed the webhook secret or the App's private key.
    const logs = c.replicas.map((r) => ({ role: r.role, ...logLines(r) }));
    for (const { other } of logs) expect(other).toEqual([]);
    for (const tag of acked) {
      const delivery = deliveries.get(tag)!;
      const web = logs.filter((l) => l.role === "web").flatMap((l) => l.lines).filter((l) => l.delivery === delivery);
      const worker = logs.filter((l) => l.role === "worker").flatMap((l) => l.lines).filter((l) => l.delivery === delivery);
      expect(web.map((l) => l.msg), `web lines of ${tag}`).toContain("webhook answered");
      expect(worker.some((l) => l.msg === "job done" && l.job === "comment"), `worker lines of ${tag}: ${JSON.stringify(worker)}`).toBe(true);
    }
    for (const r of c.replicas) expect(leakedSecrets(r), r.name).toEqual([]);
  }, 150_000);
});
