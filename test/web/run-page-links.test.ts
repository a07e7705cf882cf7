import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunMeta } from "../../src/runs/run-record.js";
import { createRunStore } from "../../src/runs/run-store.js";
import { startTestMario, type TestMario } from "../support/test-mario.js";
import { redisUrl } from "../support/test-redis.js";

let t: TestMario;
let redis: Redis;
beforeAll(async () => {
  t = await startTestMario();
  redis = new Redis(redisUrl(), { protocol: 2 });
});
afterAll(async () => {
  redis.disconnect();
  await t.close();
});

/** A run record as any source of one could hold it (written straight into mario's store). */
async function recordWithPrUrl(name: string, prUrl: string): Promise<string> {
  const meta: RunMeta = {
    namespace: "mario",
    name,
    installationId: 1,
    repo: { owner: "octo", name: "demo" },
    pr: 42,
    prUrl,
    headSha: "a".repeat(40),
    verb: "build",
    commandLine: "/build image",
    requester: "alice",
    checkName: "mario/build image",
    createdAt: new Date().toISOString(),
  };
  await createRunStore(redis, `${t.prefix}:`).create(meta, { state: "queued", results: [] });
  const res = await fetch(`${t.mario.url}/runs/mario/${name}`);
  expect(res.status).toBe(200);
  return res.text();
}

describe("the run page's link to the PR", () => {
  it("links an https PR URL", async () => {
    expect(await recordWithPrUrl("run-https", "https://github.com/octo/demo/pull/42")).toContain('<a href="https://github.com/octo/demo/pull/42">octo/demo#42</a>');
  });

  it.each([["javascript:alert(document.cookie)"], ["JavaScript:alert(1)"], ["data:text/html,<script>alert(1)</script>"], ["//evil.example/x"], [""]])("shows %j as text, never as a link", async (url) => {
    const text = await recordWithPrUrl(`run-${Math.random().toString(36).slice(2, 10)}`, url);
    expect(text).toContain("octo/demo#42");
    expect(text).not.toMatch(/href="(?!\/[^/]|https?:\/\/)/i); // only mario's own paths and http(s) links
    expect(text).not.toMatch(/<a [^>]*>octo\/demo#42<\/a>/);
  });
});
