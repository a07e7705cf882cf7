import { afterEach, describe, expect, it } from "vitest";
import { settle, waitFor } from "../support/test-mario.js";
import { ns, repo, startCluster, type Cluster } from "./support/mario-cluster.js";
import { startRedisServer, type RedisServer } from "./support/redis-server.js";

let c: Cluster;
let redis: RedisServer;
afterEach(async () => {
  try {
    c.github.assertNoViolations();
  } finally {
    await c.close().finally(() => redis.close()); // never leave replicas or the private redis-server running
  }
}, 60_000);

/** The tag= of each PipelineRun's command line: which comment it came from. */
const runTags = (c: Cluster) => c.kube.pipelineRuns(ns).map((r) => /tag=(\S+)/.exec(r.metadata.annotations?.["mario.dev/command-line"] ?? "")?.[1]);
const botComments = (c: Cluster) => c.github.state.comments(repo, 42).filter((x) => x.user.type === "Bot");
const ready = async (url: string) => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200;

describe("Redis restarts during work", () => {
  it("killed and restarted with its append-only file: every acknowledged webhook gets exactly one run; mario reconnects", async () => {
    redis = await startRedisServer({ appendonly: true });
    c = await startCluster({ redisUrl: redis.url });
    const web = await c.start("web");
    const workers = [await c.start("worker"), await c.start("worker")];

    const acked: string[] = [];
    const send = async (tag: string) => {
      const { status } = await c.comment(`/build image tag=${tag}`);
      if (status === 200) acked.push(tag);
    };
    await Promise.all(Array.from({ length: 6 }, (_, i) => send(`before-${i}`)));
    await redis.kill();
    // Sent while Redis is down: the web replica holds them until it reconnects, then answers.
    const during = Promise.all(Array.from({ length: 3 }, (_, i) => send(`during-${i}`)));
    await waitFor(async () => !(await ready(web.url)), "web /readyz failing while Redis is down");
    await new Promise((r) => setTimeout(r, 1000));
    await redis.restart();
    await during;
    await Promise.all(Array.from({ length: 3 }, (_, i) => send(`after-${i}`)));
    expect(acked).toHaveLength(12);

    for (const r of [web, ...workers]) await waitFor(() => ready(r.url), `${r.name} ready again`, 15_000);
    await waitFor(() => acked.every((t) => runTags(c).includes(t)), "a run for every acknowledged webhook", 30_000);
    await waitFor(() => c.github.state.checkRuns(repo).length === acked.length, "a check run for each", 30_000);
    await settle(1500);
    expect(runTags(c).sort()).toEqual([...acked].sort());
    expect(c.github.state.checkRuns(repo)).toHaveLength(acked.length);
    expect(botComments(c)).toHaveLength(acked.length);
    for (const r of [web, ...workers]) expect(r.child.exitCode).toBeNull();
  }, 90_000);

  it("restarted empty (its data lost): runs are rebuilt from the cluster and their check runs and comments found on GitHub, not doubled", async () => {
    redis = await startRedisServer({ appendonly: false });
    c = await startCluster({ redisUrl: redis.url });
    await c.start("web");
    const worker = await c.start("worker");
    await c.comment("/build image tag=one");
    await c.comment("/build image tag=two");
    await waitFor(() => c.github.state.checkRuns(repo).length === 2 && botComments(c).length === 2, "both runs reported");

    await redis.restart({ empty: true });
    await waitFor(() => ready(worker.url), "the worker reconnected", 15_000);
    for (const run of c.kube.pipelineRuns(ns)) {
      c.kube.startRun(ns, run.metadata.name, { tasks: [{ name: "build" }] });
      c.kube.finishRun(ns, run.metadata.name, { status: "True", reason: "Succeeded" });
    }
    await waitFor(() => c.github.state.checkRuns(repo).filter((x) => x.conclusion === "success").length === 2, "both check runs concluded", 20_000);
    await waitFor(() => botComments(c).every((x) => x.body.includes("Succeeded")), "both comments edited");
    await settle(1000);
    expect(c.github.state.checkRuns(repo)).toHaveLength(2);
    expect(botComments(c)).toHaveLength(2);
    expect(c.kube.pipelineRuns(ns)).toHaveLength(2);
    // Found again on GitHub (by external id and comment marker), not created anew.
    expect(c.github.requestsFor("checks/create")).toHaveLength(2);
    expect(c.github.requestsFor("issues/create-comment")).toHaveLength(2);
  }, 90_000);
});
