import type { Redis } from "ioredis";
import { holdLease, type Lease } from "./lease.js";

/** A running duty; `stop` ends it (it may be started again later, on this replica or another). */
export interface RunningDuty {
  stop(): void | Promise<void>;
}

/**
 * Starts the duty. Called when this replica wins the lease; the lease is handed in so the duty can check its
 * fencing token (`lease.isCurrent()`) before a write that must not happen twice. Should not throw: a duty that
 * meets a failing service retries inside, as the PipelineRun watcher does.
 */
export type StartDuty = (lease: Lease) => RunningDuty | Promise<RunningDuty>;

export interface SingletonDuty {
  readonly lease: Lease;
  /** Stops the duty and gives the lease up, so another replica takes over at its next try. */
  stop(): Promise<void>;
}

export interface SingletonOptions {
  ttlMs: number;
  log: { info(o: object, m: string): void; error(o: object, m: string): void };
  onHeld?: (held: boolean) => void;
}

/**
 * Runs `start` on exactly one replica at a time: whichever holds the lease `duty:<name>` in Redis. When the holder
 * dies its lease expires after `ttlMs` and another replica starts the duty; when it shuts down it releases the
 * lease. Losing the lease (Redis unreachable, or a pause past the TTL) stops the duty here first.
 */
export function singletonDuty(redis: Redis, prefix: string, name: string, start: StartDuty, options: SingletonOptions): SingletonDuty {
  let running: RunningDuty | undefined;
  const lease: Lease = holdLease(redis, prefix, `duty:${name}`, {
    ttlMs: options.ttlMs,
    onAcquired: async (token) => {
      try {
        running = await start(lease);
        options.onHeld?.(true);
        options.log.info({ duty: name, token }, "driving singleton duty");
      } catch (error) {
        options.log.error({ duty: name, err: error }, "singleton duty failed to start");
      }
    },
    onLost: async () => {
      const duty = running;
      running = undefined;
      options.onHeld?.(false);
      if (duty) {
        options.log.info({ duty: name }, "stopped singleton duty (lease lost or released)");
        await duty.stop();
      }
    },
  });
  return { lease, stop: () => lease.release() };
}
