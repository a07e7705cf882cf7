import type { Redis } from "ioredis";
import { createRunQueue, type RunQueue } from "../concurrency/run-queue.js";
import type { MarioConfig } from "../config/config-schema.js";
import type { GitHubForInstallation, RepoRef } from "../github/github-port.js";
import type { TektonPort } from "../kube/tekton-port.js";
import { summarizeFailure } from "../logs/failure-summary.js";
import { logAccess, repoIsPublic } from "../logs/log-access.js";
import { createLogArchive } from "../logs/log-archive.js";
import { logLinkKey, logLinks } from "../logs/log-links.js";
import { runPeriodicJob, runPeriodicJobNow, schedulePeriodicJobs } from "../periodic/periodic-jobs.js";
import { pruneRuns } from "../prune/prune-runs.js";
import { finishedStates } from "../runs/run-status.js";
import type { RunRecord } from "../runs/run-record.js";
import type { RunStore } from "../runs/run-store.js";
import type { StartRunDeps } from "../runs/start-run.js";
import type { RunPageDeps } from "../web/run-page.js";
import type { PermissionLookup } from "../work/permission-cache.js";
import { LockBusyError, type Lock } from "../work/redis-lock.js";
import type { RunningDuty } from "../work/singleton-duty.js";
import type { Attempt } from "../work/work-queue.js";
import { givesUp } from "../work/rate-limit-delay.js";
import type { JobCommandServices } from "./job-commands.js";
import { createJobService, type JobTrigger } from "./job-service.js";
import { createJobState } from "./job-state.js";
import { onPullRequest, type PullRequestEvent } from "./on-pull-request.js";
import { onRerequest, type RerequestEvent } from "./on-rerequest.js";
import { reportAnyRun } from "./report-job-run.js";
import { trustCheck } from "./trust.js";

export interface LifecycleDeps {
  config: MarioConfig;
  redis: Redis;
  /** Redis key prefix (with its trailing colon) and the BullMQ prefix. */
  prefix: string;
  bullPrefix: string;
  publicUrl: string;
  webhookSecret: string;
  logLinkKey?: string;
  kubeRequestTimeoutMs: number;
  tekton: TektonPort;
  store: RunStore;
  lock: Lock;
  github: GitHubForInstallation;
  permission: PermissionLookup;
  /** Queues a report of a run (the `report` job); `version` de-duplicates. */
  queueReport(namespace: string, name: string, version: string): Promise<void>;
  installationFor(repo: RepoRef): Promise<number>;
  /** Called after every report of a run, wherever it came from (Slack messages and notifications, the merge queue). */
  afterReport?(namespace: string, name: string): Promise<void>;
  log: { warn(o: object, m: string): void; info(o: object, m: string): void };
}


const awaitsSummary = (run: RunRecord) => (run.status.state === "failed" || run.status.state === "timed-out") && !run.failure;

/**
 * The run lifecycle around the core: presubmit and periodic jobs, their commands, the concurrency queue, log
 * archiving and links, the failure summary and pruning. mario.ts wires what this returns.
 */
export function createLifecycle(deps: LifecycleDeps) {
  const { config, store, tekton } = deps;
  const links = logLinks(logLinkKey(deps.logLinkKey, deps.webhookSecret), config.logs.linkTtlHours);
  const archive = createLogArchive({
    redis: deps.redis,
    prefix: deps.prefix,
    tekton,
    lock: deps.lock,
    options: { maxStepBytes: config.logs.maxStepBytes, retentionDays: config.logs.retentionDays, streamTimeoutMs: Math.max(30_000, deps.kubeRequestTimeoutMs * 3) },
  });
  const limited = config.concurrency.perRepo > 0 || config.concurrency.global > 0;
  const runQueue: RunQueue | undefined = limited
    ? createRunQueue({ redis: deps.redis, prefix: deps.prefix, limits: config.concurrency, tekton, store, refresh: deps.queueReport, log: deps.log })
    : undefined;
  // A failed task is reported with its summary: the report job of the run's last change writes it, then reports.
  const hold = (run: RunRecord) => awaitsSummary(run) && run.tasks.some((t) => t.state === "failed");
  const reportDeps = { store, github: deps.github, publicUrl: deps.publicUrl, lock: deps.lock, hold };
  /**
   * Reports a run where it belongs; a run that ended gives its concurrency slot back. Every report goes through
   * here — the report job's, and those of the code that creates or cancels runs (a periodic run that could not be
   * created has no other) — so what follows a report (afterReport) never misses one.
   */
  const report = async (namespace: string, name: string) => {
    await reportAnyRun(reportDeps, namespace, name);
    if (runQueue) {
      const record = await store.get(namespace, name);
      if (record && finishedStates.has(record.status.state)) await runQueue.release(namespace, name);
    }
    await deps.afterReport?.(namespace, name);
  };
  const isPublic = repoIsPublic({ redis: deps.redis, prefix: deps.prefix, github: deps.github });
  const startExtras: Pick<StartRunDeps, "concurrency" | "logLinks" | "isPrivate"> = {
    ...(runQueue ? { concurrency: runQueue } : {}),
    logLinks: links,
    isPrivate: async (installationId, repo) => !(await isPublic(installationId, repo)),
  };
  const startDeps: StartRunDeps = { config, tekton, store, report, ...startExtras };
  const state = createJobState(deps.redis, deps.prefix);
  const jobService = createJobService({
    config,
    github: deps.github,
    tekton,
    store,
    state,
    archive,
    trusted: trustCheck({ config, permission: deps.permission, redis: deps.redis, prefix: deps.prefix }),
    startDeps,
    log: deps.log,
  });

  /**
   * The `report` job: archive what ended (finished tasks while running; everything once the run ended), derive
   * the failure summary from the archived, masked log, report, then give the slot back and prune.
   */
  async function onRunChanged(namespace: string, name: string, attempt: Attempt = { number: 1, of: 1 }): Promise<void> {
    let record = await store.get(namespace, name);
    if (!record) return;
    if (!finishedStates.has(record.status.state) && record.tasks.some((t) => t.state !== "pending" && t.state !== "running")) {
      await archive.archive(record, "finished-tasks").catch((error: unknown) => {
        if (error instanceof LockBusyError) throw error;
        deps.log.warn({ err: error, run: name }, "could not archive finished tasks' logs; the final archive tries again");
      });
      // The run may have ended meanwhile: continue with what it is now.
      record = (await store.get(namespace, name)) ?? record;
    }
    const done = finishedStates.has(record.status.state);
    if (done) {
      try {
        await archive.archive(record, "final");
      } catch (error) {
        // Busy: another worker archives it right now. Failing: retried, and on the last attempt reported anyway.
        if (error instanceof LockBusyError || !givesUp(attempt, error)) throw error;
        deps.log.warn({ err: error, run: name }, "gave up archiving the run's logs");
        if (awaitsSummary(record)) await store.setFailure(namespace, name, { task: record.tasks.find((t) => t.state === "failed")?.name ?? "unknown", logTail: [], note: "mario could not archive this run's logs, so none are shown here." });
        record = (await store.get(namespace, name)) ?? record;
      }
      if (awaitsSummary(record)) {
        const failure = summarizeFailure(record, await archive.read(namespace, name));
        if (failure) await store.setFailure(namespace, name, failure);
      }
    }
    await report(namespace, name);
    // Pruned once per finished run (a run can see several report jobs after it ended).
    if (done && record.status.state !== "create-failed" && (await deps.redis.set(`${deps.prefix}pruned-after:${namespace}/${name}`, "1", "EX", 24 * 3600, "NX"))) {
      await pruneRuns({ tekton, store, archive, keep: config.pruning.keep, log: deps.log }, record.meta).catch((error: unknown) =>
        deps.log.warn({ err: error, run: name }, "could not prune old PipelineRuns"),
      );
    }
  }

  const periodicDeps = { config, github: deps.github, installationFor: deps.installationFor, startDeps };
  const jobs = {
    "pull-request": (event: PullRequestEvent, attempt: Attempt) => onPullRequest(jobService, deps.github, event, attempt),
    rerequest: async (event: RerequestEvent, attempt: Attempt) => {
      await onRerequest(jobService, deps.github, event, attempt);
    },
    periodic: (data: { job: string }, attempt: Attempt) => runPeriodicJob(periodicDeps, data, attempt),
  };

  return {
    report,
    onRunChanged,
    startExtras,
    commands: { jobs: jobService } satisfies JobCommandServices,
    jobs,
    /** Runs a periodic job now, on its branch's current head (Retry in Slack). */
    runPeriodicNow: (name: string, trigger: JobTrigger) => runPeriodicJobNow(periodicDeps, name, trigger),
    runPage: { archive, access: logAccess({ redis: deps.redis, prefix: deps.prefix, github: deps.github, links }), maxLogBytes: config.logs.maxStepBytes } satisfies Partial<RunPageDeps>,
    runQueue,
    /** Registers the periodic jobs' schedulers (idempotent; every worker may call it); ticks retry `attempts` times. */
    schedule: (attempts: number) => schedulePeriodicJobs(deps.redis, deps.bullPrefix, config.jobs, attempts),
    /** The concurrency queue's sweep, run by one replica (a singleton duty) every `concurrency.sweepMs`. */
    sweepDuty: (): RunningDuty => {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const tick = async () => {
        await runQueue?.sweep().catch((error: unknown) => deps.log.warn({ err: error }, "concurrency sweep failed; retrying"));
        if (!stopped) timer = setTimeout(() => void tick(), config.concurrency.sweepMs);
      };
      void tick();
      return {
        stop: () => {
          stopped = true;
          clearTimeout(timer);
        },
      };
    },
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;
