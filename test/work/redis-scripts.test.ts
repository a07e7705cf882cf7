import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { defineRedisScripts } from "../../src/work/redis-scripts.js";
import { redisUrl } from "../support/test-redis.js";

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));

let client: Redis | undefined;
afterEach(() => {
  client?.disconnect();
  client = undefined;
});

describe("mario's Lua commands on an auto-pipelined client", () => {
  it("are all defined before the client sends anything: every one the code calls", () => {
    // A command defined after an auto-pipeline started is missing from it, and its reply crashes the process.
    const called = new Set(sources("src").flatMap((f) => [...readFileSync(f, "utf8").matchAll(/\.(mario[A-Z][A-Za-z]+)\(/g)].map((m) => m[1]!)));
    expect(called.size).toBeGreaterThan(10);
    client = new Redis(redisUrl(), { lazyConnect: true, enableAutoPipelining: true });
    defineRedisScripts(client);
    expect([...called].filter((name) => typeof (client as unknown as Record<string, unknown>)[name] !== "function")).toEqual([]);
  });

  it("work when called in the same tick as other commands (one auto-pipeline)", async () => {
    client = new Redis(redisUrl(), { enableAutoPipelining: true });
    defineRedisScripts(client);
    const key = `mario-test-scripts:${process.pid}:${Date.now()}`;
    const calls = client as unknown as { marioReleaseLock(k: string, t: string): Promise<number> };
    const [set, released] = await Promise.all([client.set(key, "token"), calls.marioReleaseLock(key, "token")]);
    expect([set, released]).toEqual(["OK", 1]);
    expect(await client.exists(key)).toBe(0);
  });
});
