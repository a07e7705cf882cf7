import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Fields every log line carries while a webhook or a job is handled (its delivery id, the job), so one request can
 * be followed through the logs of the web and worker processes without passing a logger through the core.
 */
export type LogContext = Record<string, string | number | undefined>;

const storage = new AsyncLocalStorage<LogContext>();

export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...fields }, fn);
}

/** The fields of the webhook or job being handled (empty outside one); pino's `mixin` adds them to each line. */
export function logContext(): LogContext {
  return storage.getStore() ?? {};
}
