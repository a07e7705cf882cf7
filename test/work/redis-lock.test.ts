import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redisLock } from "../../src/work/redis-lock.js";
import { deleteKeys, redisUrl, uniquePrefix } from "../support/test-redis.js";

const prefix = `${uniquePrefix()}:`;
// Two connections, as two replicas would have.
const redis = [new Redis(redisUrl(), { protocol: 2 }), new Redis(redisUrl(), { protocol: 2 })] as const;
afterAll(async () => {
  await deleteKeys(prefix);
  redis.forEach((r) => r.disconnect());
});

const gate = () => {
  let open!: () => void;
  return { opened: new Promise<void>((r) => (open = r)), open: () => open() };
};

describe("coalescing lock", () => {
  it("runs the work once more for every burst of callers that came while it ran, never twice at once, and nobody waits", async () => {
    const [a, b] = [redisLock(redis[0], prefix), redisLock(redis[1], prefix)];
    const first = gate();
    let running = 0;
    let most = 0;
    const rounds: string[] = [];
    const work = (label: string, hold?: Promise<void>) => async () => {
      running += 1;
      most = Math.max(most, running);
      rounds.push(label);
      await hold;
      running -= 1;
    };
    const holder = a.coalesce("report:x", work("first", first.opened));
    await new Promise((r) => setTimeout(r, 50));
    // Three callers while the first round runs: each returns at once, and they cost one more round, not three.
    await b.coalesce("report:x", work("b1"));
    await b.coalesce("report:x", work("b2"));
    await a.coalesce("report:x", work("a3"));
    expect(rounds).toEqual(["first"]);
    first.open();
    await holder;
    expect(rounds).toEqual(["first", "first"]); // the holder's own work, run again for the callers
    expect(most).toBe(1);
    // Free again: the next caller runs its own work at once.
    await b.coalesce("report:x", work("later"));
    expect(rounds).toEqual(["first", "first", "later"]);
  });

  it("lets go when the work fails, so the retried job (or the next caller) runs it", async () => {
    const lock = redisLock(redis[0], prefix);
    await expect(lock.coalesce("report:y", async () => Promise.reject(new Error("GitHub is down")))).rejects.toThrow("GitHub is down");
    let ran = false;
    await lock.coalesce("report:y", async () => void (ran = true));
    expect(ran).toBe(true);
  });
});
