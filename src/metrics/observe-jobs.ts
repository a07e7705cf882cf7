import type { Job, Worker } from "bullmq";
import type { Logger } from "pino";
import { withLogContext } from "../log-context.js";
import type { JobHandler } from "../work/work-queue.js";
import type { Metrics } from "./metrics.js";

/**
 * Runs each job with its delivery id (webhook and Slack jobs) or run (report jobs) on every log line it writes,
 * and logs one "job done" line, so a webhook can be followed from the web replica that took it to the worker.
 */
export function withJobLogContext(handle: JobHandler, log?: Pick<Logger, "info">): JobHandler {
  return (name, data, attempt) => {
    const d = data as { deliveryId?: unknown; namespace?: unknown; name?: unknown };
    const fields = {
      job: name,
      attempt: attempt.number,
      delivery: typeof d.deliveryId === "string" ? d.deliveryId : undefined,
      run: typeof d.namespace === "string" && typeof d.name === "string" ? `${d.namespace}/${d.name}` : undefined,
    };
    return withLogContext(fields, async () => {
      const start = performance.now();
      await handle(name, data, attempt);
      log?.info({ ms: Math.round(performance.now() - start) }, "job done");
    });
  };
}

/** Counts job attempts by outcome and times them: queue wait (first attempt) and run time. */
export function observeWorker(worker: Worker, metrics: Metrics): void {
  const record = (job: Job, outcome: "completed" | "retrying" | "failed") => {
    const started = job.processedOn;
    const waitMs = started !== undefined && job.attemptsStarted <= 1 ? started - job.timestamp - (job.opts.delay ?? 0) : undefined;
    const runMs = started !== undefined ? (job.finishedOn ?? Date.now()) - started : undefined;
    metrics.job(job.name, outcome, waitMs, runMs);
  };
  worker.on("completed", (job) => record(job, "completed"));
  worker.on("failed", (job) => {
    if (job) record(job, job.finishedOn ? "failed" : "retrying");
  });
}

/** Counts (`outcome="deferred"`) and logs a job put off by a rate limit; it runs again after `waitMs`. */
export function onJobDeferred(metrics: Metrics, log: Pick<Logger, "info">): (job: Job, waitMs: number, error: unknown) => void {
  return (job, waitMs, error) => {
    metrics.job(job.name, "deferred", undefined, job.processedOn !== undefined ? Date.now() - job.processedOn : undefined);
    const delivery = (job.data as { deliveryId?: unknown }).deliveryId;
    log.info({ job: job.name, id: job.id, delivery: typeof delivery === "string" ? delivery : undefined, waitMs, err: error }, "rate limited: the job waits as asked, keeping its attempts");
  };
}
