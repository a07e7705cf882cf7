import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";

export const redisUrl = () => inject("redisUrl");

/** A key prefix of this test's own, so parallel test files never see each other's keys. */
export const uniquePrefix = () => `mario-test-${randomUUID().slice(0, 8)}`;

/** Deletes every key under the prefix (SCAN, not KEYS, to stay polite on a shared server). */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl(), { protocol: 2 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}
