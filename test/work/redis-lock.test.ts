import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { LockBusyError, redisLock } from "../../src/work/redis-lock.js";
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

/** Work that records the rounds run (by label) and the most rounds ever running at once. */
function recordedRounds() {
  let running = 0;
  let highest = 0;
  const rounds: string[] = [];
  const work = (label: string, hold?: Promise<void>) => async () => {
    running += 1;
    highest = Math.max(highest, running);
    rounds.push(label);
    await hold;
    running -= 1;
  };
  return { work, rounds, most: () => highest };
}

describe("coalescing lock", () => {
  it("runs the work once more for every burst of callers that came while it ran, never twice at once, and nobody waits", async () => {
    const [a, b] = [redisLock(redis[0], prefix), redisLock(redis[1], prefix)];
    const first = gate();
    const { work, rounds, most } = recordedRounds();
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
    expect(most()).toBe(1);
    // Free again: the next caller runs its own work at once.
    await b.coalesce("report:x", work("later"));
    expect(rounds).toEqual(["first", "first", "later"]);
  });

  it("keeps the lock and the callers' note while a round runs longer than the TTL: nobody runs beside the holder, and the holder still runs again", async () => {
    // TTL 200 ms, a first round of 700 ms (a report waiting on a slow GitHub).
    const [a, b] = [redisLock(redis[0], prefix, 200), redisLock(redis[1], prefix, 200)];
    const slow = gate();
    setTimeout(slow.open, 700);
    const { work, rounds, most } = recordedRounds();
    const holder = a.coalesce("report:slow", work("first", slow.opened));
    await new Promise((r) => setTimeout(r, 50));
    await b.coalesce("report:slow", work("early")); // its note must live until the holder looks, at 700 ms
    await new Promise((r) => setTimeout(r, 350)); // past the TTL of the lock and of that note
    await b.coalesce("report:slow", work("late")); // the holder is still at work: a note, not a second round beside it
    await holder;
    expect(rounds).toEqual(["first", "first"]);
    expect(most()).toBe(1);
  });

  it("keeps a plain lock while its work runs longer than the TTL", async () => {
    const [a, b] = [redisLock(redis[0], prefix, 200), redisLock(redis[1], prefix, 200)];
    const done = gate();
    const holder = a.withLock("archive:slow", () => done.opened);
    await new Promise((r) => setTimeout(r, 500));
    await expect(b.withLock("archive:slow", async () => "ran beside the holder")).rejects.toThrow(LockBusyError);
    done.open();
    await holder;
    await expect(b.withLock("archive:slow", async () => "ran")).resolves.toBe("ran");
  });

  it("lets others in once a holder has been stuck for ten TTLs (a request that never answers)", async () => {
    const [a, b] = [redisLock(redis[0], prefix, 200), redisLock(redis[1], prefix, 200)];
    const stuck = gate();
    const holder = a.withLock("archive:stuck", () => stuck.opened);
    await new Promise((r) => setTimeout(r, 1000)); // 5 TTLs: still extended
    await expect(b.withLock("archive:stuck", async () => "ran")).rejects.toThrow(LockBusyError);
    await new Promise((r) => setTimeout(r, 1400)); // past 10 TTLs and one more: expired
    await expect(b.withLock("archive:stuck", async () => "ran")).resolves.toBe("ran");
    stuck.open();
    await holder;
  });

  it("gives a holder that lost Redis no more than the TTL: then another worker takes over", async () => {
    const lost = new Redis(redisUrl(), { protocol: 2 });
    const b = redisLock(redis[1], prefix, 200);
    const never = gate();
    const holder = redisLock(lost, prefix, 200).coalesce("report:lost", () => never.opened);
    const holderSettled = holder.catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 50));
    lost.disconnect(); // its keep-alive fails from now on (and does not crash the process)
    let ran = false;
    await b.coalesce("report:lost", async () => void (ran = true));
    expect(ran).toBe(false); // still within the TTL: a note for the holder
    await new Promise((r) => setTimeout(r, 300));
    await b.coalesce("report:lost", async () => void (ran = true));
    expect(ran).toBe(true);
    never.open();
    expect(await holderSettled).toBeInstanceOf(Error); // its Redis is gone: it cannot say it is done
  });

  it("lets go when the work fails, so the retried job (or the next caller) runs it", async () => {
    const lock = redisLock(redis[0], prefix);
    await expect(lock.coalesce("report:y", async () => Promise.reject(new Error("GitHub is down")))).rejects.toThrow("GitHub is down");
    let ran = false;
    await lock.coalesce("report:y", async () => void (ran = true));
    expect(ran).toBe(true);
  });
});
