import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * A lease in Redis: exactly one holder at a time for a named duty (watching PipelineRuns, driving a merge pool,
 * firing periodic jobs). The holder renews it well before it expires; if the holder dies, another replica takes
 * over within `ttlMs`. Each acquisition gets a fencing token that only grows, so a holder that was paused past
 * its expiry can be told apart from the new one (`isCurrent`) before it writes anything that must not happen twice.
 */
export interface Lease {
  readonly name: string;
  /** True while this process holds the lease. */
  readonly held: boolean;
  /** The fencing token of the current holding (undefined when not held). */
  readonly token: number | undefined;
  /** The Redis key holding the latest token: writes fenced on it (compare-and-set) fail for a former holder. */
  readonly fenceKey: string;
  /** Checks with Redis that this process still holds the lease with its token. */
  isCurrent(): Promise<boolean>;
  /** Gives the lease up (on shutdown), so another replica takes over at once. */
  release(): Promise<void>;
}

export interface LeaseOptions {
  ttlMs?: number;
  /** How often to try to acquire or renew; defaults to a third of the TTL. */
  intervalMs?: number;
  onAcquired?: (token: number) => void | Promise<void>;
  onLost?: () => void | Promise<void>;
}

const acquireScript = `
local owner = redis.call("get", KEYS[1])
if owner == ARGV[1] then
  redis.call("pexpire", KEYS[1], ARGV[2])
  return tonumber(redis.call("get", KEYS[2]))
end
if owner then return -1 end
redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2])
return redis.call("incr", KEYS[2])`;

const releaseScript = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

type LeaseRedis = Redis & {
  marioLeaseAcquire(key: string, fenceKey: string, owner: string, ttl: number): Promise<number>;
  marioLeaseRelease(key: string, owner: string): Promise<number>;
};

/** Defines the lease scripts on a client (once); see src/work/redis-scripts.ts for why before anything is sent. */
export function defineLeaseScripts(redis: Redis): LeaseRedis {
  if (!("marioLeaseAcquire" in redis)) {
    redis.defineCommand("marioLeaseAcquire", { numberOfKeys: 2, lua: acquireScript });
    redis.defineCommand("marioLeaseRelease", { numberOfKeys: 1, lua: releaseScript });
  }
  return redis as LeaseRedis;
}

/** Starts competing for the lease `name` and keeps holding it while this process lives. */
export function holdLease(redis: Redis, prefix: string, name: string, options: LeaseOptions = {}): Lease {
  const r = defineLeaseScripts(redis);
  const ttlMs = options.ttlMs ?? 15_000;
  const intervalMs = options.intervalMs ?? Math.max(50, Math.floor(ttlMs / 3));
  const key = `${prefix}lease:${name}`;
  const fenceKey = `${prefix}lease-fence:${name}`;
  const owner = randomUUID();
  let token: number | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = async () => {
    if (stopped) return;
    try {
      const result = await r.marioLeaseAcquire(key, fenceKey, owner, ttlMs);
      if (result > 0 && token === undefined) {
        token = result;
        await options.onAcquired?.(result);
      } else if (result > 0 && result !== token) {
        // Our key vanished (Redis restarted empty or was flushed) and we won it again: a new holding, so the
        // duty restarts and rebuilds what it kept in Redis.
        token = undefined;
        await options.onLost?.();
        token = result;
        await options.onAcquired?.(result);
      } else if (result < 0 && token !== undefined) {
        token = undefined;
        await options.onLost?.();
      }
    } catch {
      // Redis unreachable: we cannot prove we hold it, so act as if we do not.
      if (token !== undefined) {
        token = undefined;
        await options.onLost?.();
      }
    }
    if (!stopped) timer = setTimeout(() => void tick(), intervalMs);
  };
  void tick();

  return {
    name,
    fenceKey,
    get held() {
      return token !== undefined;
    },
    get token() {
      return token;
    },
    async isCurrent() {
      if (token === undefined) return false;
      const [current, fence] = await redis.mget(key, fenceKey);
      return current === owner && Number(fence) === token;
    },
    async release() {
      stopped = true;
      clearTimeout(timer);
      const had = token !== undefined;
      token = undefined;
      await r.marioLeaseRelease(key, owner).catch(() => 0);
      if (had) await options.onLost?.();
    },
  };
}
