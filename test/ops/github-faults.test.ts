import { afterEach, describe, expect, it } from "vitest";
import { faults } from "../fakes/fake-github.js";
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

describe("GitHub answering 502 and secondary rate limits, to several workers", () => {
  it("retries the 502s, holds every replica back for the whole Retry-After, and loses no command", async () => {
    c = await startCluster({ redisUrl: redisUrl(), prs: [1, 2, 3, 4] });
    await c.start("web");
    const workers = [await c.start("worker"), await c.start("worker")];
    c.github.failNext({ operationId: "pulls/get" }, faults.badGateway(), 2);
    c.github.failNext({ operationId: "checks/create" }, faults.secondaryRateLimit(3), 1);
    for (const pr of [1, 2, 3, 4]) expect((await c.comment(`/build image tag=pr${pr}`, { prNumber: pr })).status).toBe(200);

    await waitFor(() => c.github.state.checkRuns(repo).length === 4, "a check run for each command", 30_000);
    await waitFor(() => [1, 2, 3, 4].every((pr) => c.github.state.comments(repo, pr).some((x) => x.user.type === "Bot")), "a comment on each PR", 30_000);
    await settle(1500);
    expect(c.kube.pipelineRuns(ns)).toHaveLength(4);
    expect(c.github.state.checkRuns(repo)).toHaveLength(4);
    for (const pr of [1, 2, 3, 4]) expect(c.github.state.comments(repo, pr).filter((x) => x.user.type === "Bot")).toHaveLength(1);
    expect(c.github.requestsFor("pulls/get").filter((r) => r.status === 502)).toHaveLength(2);

    // After the 403, no replica sent this installation anything until Retry-After (3 s) had passed: the pause is
    // shared through Redis. Requests already on their way when the 403 came back may land after it (on a loaded
    // 2-core machine, up to a few hundred ms), so the window checked starts 1 s after the 403.
    const limited = c.github.requests.find((r) => r.status === 403)!;
    const early = c.github.requests.filter((r) => r.at > limited.at + 1000 && r.at < limited.at + 2900 && r.operationId !== "apps/create-installation-access-token");
    expect(early.map((r) => r.operationId)).toEqual([]);
    const metrics = await Promise.all(workers.map((w) => c.metrics(w)));
    expect(metrics.reduce((n, m) => n + metricValue(m, "mario_rate_limited_total", { api: "github" }), 0)).toBeGreaterThan(0);
    expect(metrics.reduce((n, m) => n + metricValue(m, "mario_api_requests_total", { api: "github", operation: "getPullRequest", outcome: "502" }), 0)).toBe(2);
  }, 90_000);
});
