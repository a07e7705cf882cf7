import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { holdLease } from "../../src/work/lease.js";
import { deleteKeys, redisUrl, uniquePrefix } from "../support/test-redis.js";
import { waitFor } from "../support/test-mario.js";

const prefix = `${uniquePrefix()}:`;
const redis = [new Redis(redisUrl(), { protocol: 2 }), new Redis(redisUrl(), { protocol: 2 })] as const;
afterAll(async () => {
  await deleteKeys(prefix);
  redis.forEach((r) => r.disconnect());
});

describe("lease", () => {
  it("has one holder; on release the other replica takes over with a larger fencing token", async () => {
    const a = holdLease(redis[0], prefix, "pool-a", { ttlMs: 600 });
    await waitFor(() => a.held, "a holds");
    const b = holdLease(redis[1], prefix, "pool-a", { ttlMs: 600 });
    await new Promise((r) => setTimeout(r, 300));
    expect(b.held).toBe(false);
    expect(await a.isCurrent()).toBe(true);
    const first = a.token!;
    await a.release();
    await waitFor(() => b.held, "b takes over");
    expect(b.token!).toBeGreaterThan(first);
    expect(await a.isCurrent()).toBe(false);
    await b.release();
  });

  it("passes to another replica when the holder stops renewing (a crash)", async () => {
    const lost: string[] = [];
    const a = holdLease(redis[0], prefix, "pool-b", { ttlMs: 400, onLost: () => void lost.push("a") });
    await waitFor(() => a.held, "a holds");
    // A crash: the holder's connection dies, it renews no more, and its key is left to expire.
    await redis[0].quit();
    const b = holdLease(redis[1], prefix, "pool-b", { ttlMs: 400 });
    const start = Date.now();
    await waitFor(() => b.held, "b takes over after the TTL", 3000);
    expect(Date.now() - start).toBeLessThan(2000);
    await b.release();
  });
});
