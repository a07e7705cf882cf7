import { afterEach, describe, expect, it } from "vitest";
import { startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { startRedisServer, type RedisServer } from "./support/redis-server.js";

let t: TestMario | undefined;
let redis: RedisServer | undefined;
afterEach(async () => {
  try {
    // mario closes its connections cleanly only when Redis answers; its worker's close may still wait the bounded
    // 45 s (src/mario.ts: a connection closed while it waits to reconnect never ends).
    await redis?.restart();
    await t?.close();
  } finally {
    await redis?.close(); // never leave the private redis-server running, even when the test failed
    t = redis = undefined;
  }
}, 90_000);

/** A page fetched with a deadline: before the fix, pages waited for Redis as long as it was away. */
async function get(url: string) {
  const res = await fetch(url, { signal: AbortSignal.timeout(8000) });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}

describe("the dashboard while Redis is down", () => {
  it("answers 503 'Redis is unreachable' on every page and the queue API at once, and recovers when Redis is back", async () => {
    redis = await startRedisServer({ appendonly: true });
    t = await startTestMario({ env: { REDIS_URL: redis.url } });
    await t.comment("/build image tag=before");
    const run = await waitFor(() => t!.kube.pipelineRuns("mario")[0], "a run");
    const pages = ["/", `/runs/mario/${run.metadata.name}`, "/queue", "/queue/octo/demo/main", "/api/queue", "/api/queue/octo/demo/main"];
    const html = pages.filter((p) => !p.startsWith("/api/"));
    await waitFor(async () => (await get(`${t!.mario.url}/runs/mario/${run.metadata.name}`)).status === 200, "the run's page");

    await redis.kill();
    for (const path of html) {
      const page = await get(`${t.mario.url}${path}`);
      expect({ path, status: page.status }).toEqual({ path, status: 503 });
      expect(page.type).toContain("text/html");
      expect(page.text).toContain("<h1>Redis is unreachable</h1>");
      expect(page.text).toContain('<header><a href="/">mario</a></header>'); // the same layout as every page
    }
    for (const path of ["/api/queue", "/api/queue/octo/demo/main"]) {
      const api = await get(`${t.mario.url}${path}`);
      expect({ path, status: api.status }).toEqual({ path, status: 503 });
      expect(api.type).toContain("application/json");
      expect(JSON.parse(api.text).message).toMatch(/^Redis is unreachable/);
    }
    // Health and metrics stay up and say what is wrong.
    const ready = await get(`${t.mario.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.text).toContain("redis: no answer");
    expect((await get(`${t.mario.url}/healthz`)).status).toBe(200);

    await redis.restart();
    for (const path of pages) await waitFor(async () => [200, 404].includes((await get(`${t!.mario.url}${path}`)).status), `${path} back after Redis`, 15_000);
    expect((await get(`${t.mario.url}/runs/mario/${run.metadata.name}`)).text).toContain("tag=before");
  }, 60_000);
});
