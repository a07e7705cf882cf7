import { afterEach, describe, expect, it } from "vitest";
import { settle, waitFor } from "../support/test-mario.js";
import { redisUrl } from "../support/test-redis.js";
import { ns, repo, startCluster, type Cluster, type Replica } from "./support/mario-cluster.js";

let c: Cluster;
afterEach(async () => {
  c.github.assertNoViolations();
  await c.close();
});

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
    let i = 0;
    const stream = (async () => {
      for (; i < 60; i++) {
        const to = rotation[i % rotation.length]!;
        const tag = `r${i}`;
        const { status } = await c.comment(`/build image tag=${tag}`, { to });
        (status === 200 ? acked : failed).push(tag);
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
  }, 150_000);
});
