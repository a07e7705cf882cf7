import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { startRedisServer, type RedisServer } from "../ops/support/redis-server.js";
import { repo, settle, waitFor } from "../support/test-mario.js";
import { answerText, startSlackMario, type SlackMario } from "./slack-test-kit.js";

let s: SlackMario;
let redis: RedisServer;
afterEach(async () => {
  s.t.github.assertNoViolations();
  s.slack.assertNoViolations();
  await s.close();
  await redis.close();
});

describe("Slack's 3 seconds", () => {
  it("are kept when Redis stalls: the command is acknowledged in time, then runs once Redis answers", async () => {
    // A Redis of this test's own: pausing the shared one would stall every other test.
    redis = await startRedisServer({ appendonly: false });
    s = await startSlackMario({ env: { REDIS_URL: redis.url } });
    const warm = await s.slash("help");
    await waitFor(() => answerText(s.slack, warm.responseUrl), "a first answer (everything warmed up)");

    const admin = new Redis(redis.url, { protocol: 2 });
    await admin.call("CLIENT", "PAUSE", "4000", "ALL"); // every client's commands wait 4 s
    admin.disconnect();
    const started = performance.now();
    const res = await s.slash(`build image repo=${repo} pr=42`);
    const took = performance.now() - started;

    expect(res.status).toBe(200);
    expect(took).toBeLessThan(3000);
    expect(JSON.parse(res.text).text).toContain("mario's queue is slow to answer; the command will run when it is back. No need to repeat it.");
    await waitFor(() => s.t.kube.pipelineRuns("mario")[0], "the PipelineRun after the pause", 20_000);
    await settle();
    expect(s.t.kube.pipelineRuns("mario")).toHaveLength(1);
  });
});
