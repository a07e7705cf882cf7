import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/** Raised when another worker holds the lock; the job is retried shortly instead of waiting here. */
export class LockBusyError extends Error {
  readonly retryAfterMs = 250;
  constructor(name: string) {
    super(`${name} is being handled by another worker`);
    this.name = "LockBusyError";
  }
}

export interface Lock {
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * For work that brings something up to date with what is stored (a report, a message): runs `fn` under the
   * lock, or, when another worker holds it, leaves a note that makes the holder run `fn` once more before it lets
   * go. Nobody waits or retries, and the latest state is always handled by someone.
   */
  coalesce(name: string, fn: () => Promise<void>): Promise<void>;
}

const release = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
// Take the lock, or leave a note for its holder (atomically: a note is never left after the holder looked).
const acquireOrNote = `
if redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return 1 end
redis.call("set", KEYS[2], "1", "PX", ARGV[2])
return 0`;
// The holder is done: run again if a note came meanwhile (keeping the lock), else let go.
const finishOrAgain = `
if redis.call("get", KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call("del", KEYS[2]) == 1 then
  redis.call("pexpire", KEYS[1], ARGV[2])
  return 1
end
redis.call("del", KEYS[1])
return 0`;
// The holder is still at work: its lock lives on, and so does a note left for it (the note must outlast the round).
const extend = `
if redis.call("get", KEYS[1]) ~= ARGV[1] then return 0 end
redis.call("pexpire", KEYS[1], ARGV[2])
redis.call("pexpire", KEYS[2], ARGV[2])
return 1`;
/** How many TTLs a holder may keep the lock by extending it (10 × 30 s by default). */
const maxHoldTtls = 10;
/** A holder handles at most this many notes in a row before it hands the rest back to the queue. */
const maxRounds = 20;

/**
 * Defines the lock scripts on a client (once); see src/work/redis-scripts.ts for why before anything is sent. A
 * defined command is sent as EVALSHA: the script text crosses the wire once, not on every call.
 */
export function defineLockScripts(redis: Redis): LockRedis {
  if (!("marioReleaseLock" in redis)) {
    redis.defineCommand("marioReleaseLock", { numberOfKeys: 1, lua: release });
    redis.defineCommand("marioAcquireOrNote", { numberOfKeys: 2, lua: acquireOrNote });
    redis.defineCommand("marioFinishOrAgain", { numberOfKeys: 2, lua: finishOrAgain });
    redis.defineCommand("marioExtendLock", { numberOfKeys: 2, lua: extend });
  }
  return redis as LockRedis;
}

type LockRedis = Redis & {
  marioReleaseLock(key: string, token: string): Promise<number>;
  marioAcquireOrNote(key: string, note: string, token: string, ttlMs: number): Promise<number>;
  marioFinishOrAgain(key: string, note: string, token: string, ttlMs: number): Promise<number>;
  marioExtendLock(key: string, note: string, token: string, ttlMs: number): Promise<number>;
};

/**
 * A Redis lock (SET NX PX, released only by its owner). The holder extends it every third of the TTL while its work
 * runs (a report waiting on a slow GitHub), up to ten TTLs; the TTL bounds how long a holder that died or lost Redis
 * keeps others out.
 */
export function redisLock(redis: Redis, prefix: string, ttlMs = 30_000): Lock {
  const r = defineLockScripts(redis);
  const releaseLock = (key: string, token: string) => r.marioReleaseLock(key, token);
  /** Runs `fn`, keeping the lock (and `note`) alive meanwhile; stops once the lock turns out to be lost. */
  const whileHeld = async <T>(key: string, note: string, token: string, fn: () => Promise<T>): Promise<T> => {
    let pending = false; // while Redis is unreachable a call waits: one at a time, not one more every tick
    // A holder stuck far longer than any report takes (a request that never answers) stops extending: the lock
    // then expires and the next caller gets on with the work instead of waiting behind it for ever.
    const giveUpAt = Date.now() + maxHoldTtls * ttlMs;
    const timer = setInterval(() => {
      if (Date.now() > giveUpAt) return clearInterval(timer);
      if (pending) return;
      pending = true;
      r.marioExtendLock(key, note, token, ttlMs).then(
        (held) => {
          pending = false;
          if (held !== 1) clearInterval(timer);
        },
        () => void (pending = false), // tried again next tick; if the lock expired meanwhile, it is lost
      );
    }, Math.max(10, Math.floor(ttlMs / 3)));
    timer.unref();
    try {
      return await fn();
    } finally {
      clearInterval(timer);
    }
  };
  return {
    async coalesce(name, fn) {
      const key = `${prefix}lock:${name}`;
      const note = `${key}:again`;
      const token = randomUUID();
      if ((await r.marioAcquireOrNote(key, note, token, ttlMs)) !== 1) return; // the holder runs fn again for us
      for (let round = 1; ; round++) {
        try {
          await whileHeld(key, note, token, fn);
        } catch (error) {
          await releaseLock(key, token);
          throw error;
        }
        if (round >= maxRounds) {
          await releaseLock(key, token);
          // Notes keep coming: the queue retries the rest (a note left behind is taken by the next caller).
          if (await redis.exists(note)) throw new LockBusyError(name);
          return;
        }
        if ((await r.marioFinishOrAgain(key, note, token, ttlMs)) !== 1) return;
      }
    },
    async withLock(name, fn) {
      const key = `${prefix}lock:${name}`;
      const token = randomUUID();
      if ((await redis.set(key, token, "PX", ttlMs, "NX")) !== "OK") throw new LockBusyError(name);
      try {
        return await whileHeld(key, key, token, fn); // no note: the lock's own key stands in for it
      } finally {
        await releaseLock(key, token);
      }
    },
  };
}
