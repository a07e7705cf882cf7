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
}

const release = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** A short Redis lock (SET NX PX, released only by its owner). The TTL bounds the damage of a crashed holder. */
export function redisLock(redis: Redis, prefix: string, ttlMs = 30_000): Lock {
  // A defined command is sent as EVALSHA: the script text crosses the wire once, not on every release.
  if (!("marioReleaseLock" in redis)) redis.defineCommand("marioReleaseLock", { numberOfKeys: 1, lua: release });
  const releaseLock = (key: string, token: string) => (redis as unknown as { marioReleaseLock(k: string, t: string): Promise<number> }).marioReleaseLock(key, token);
  return {
    async withLock(name, fn) {
      const key = `${prefix}lock:${name}`;
      const token = randomUUID();
      if ((await redis.set(key, token, "PX", ttlMs, "NX")) !== "OK") throw new LockBusyError(name);
      try {
        return await fn();
      } finally {
        await releaseLock(key, token);
      }
    },
  };
}
