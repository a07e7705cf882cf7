import type { Redis } from "ioredis";
import { defineRunQueueScripts } from "../concurrency/run-queue.js";
import { definePoolScripts } from "../merge-queue/pool-store.js";
import { defineRunStoreScripts } from "../runs/run-store.js";
import { defineLeaseScripts } from "./lease.js";
import { defineLockScripts } from "./redis-lock.js";

/**
 * Defines every Lua command mario sends on a client, before it sends anything. With auto-pipelining, ioredis copies
 * the defined commands into a pipeline when it starts one: a command defined later and called in the same tick is
 * missing from that pipeline, and its reply slot then crashes the process (ioredis issue #1931).
 */
export function defineRedisScripts(redis: Redis): void {
  defineLockScripts(redis);
  defineLeaseScripts(redis);
  defineRunStoreScripts(redis);
  definePoolScripts(redis);
  defineRunQueueScripts(redis);
}
