import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";

export const redisUrl = () => inject("redisUrl");

/** A key prefix of this test's own, so parallel test files never see each other's keys. */
export const uniquePrefix = () => `mario-test-${randomUUID().slice(0, 8)}`;

/** Calls `each` with every batch of keys matching `pattern` (SCAN, not KEYS, to stay polite on a shared server). */
async function scanKeys(pattern: string, each: (redis: Redis, keys: string[]) => Promise<unknown>): Promise<void> {
  const redis = new Redis(redisUrl(), { protocol: 2 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
      cursor = next;
      if (keys.length) await each(redis, keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under the prefix. */
export async function deleteKeys(prefix: string): Promise<void> {
  await scanKeys(`${prefix}*`, (redis, keys) => redis.del(...keys));
}

/** The keys matching `pattern`, sorted. */
export async function keysMatching(pattern: string): Promise<string[]> {
  const found: string[] = [];
  await scanKeys(pattern, async (_redis, keys) => found.push(...keys));
  return [...new Set(found)].sort();
}
