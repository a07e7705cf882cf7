import { Queue } from "bullmq";
import { CronExpressionParser } from "cron-parser";
import type { Redis } from "ioredis";
import type { MarioConfig } from "../config/config-schema.js";
import type { GitHubForInstallation, RepoRef } from "../github/github-port.js";
import type { JobConfig } from "../jobs/jobs-config.js";
import type { JobTrigger } from "../jobs/job-service.js";
import type { RunMeta } from "../runs/run-record.js";
import { startRun, type StartRunDeps } from "../runs/start-run.js";
import { queueName, type Attempt } from "../work/work-queue.js";

const schedulerPrefix = "periodic:";

/**
 * Registers one BullMQ job scheduler per periodic job (cron pattern, UTC) in the work queue. Upserting is
 * idempotent, so every replica may do it at start; schedulers of jobs no longer configured are removed. BullMQ
 * makes one job per tick whatever the number of replicas; a tick that fails (GitHub or the cluster briefly
 * unreachable) is retried like any other job, up to `attempts` times.
 */
export async function schedulePeriodicJobs(connection: Redis, bullPrefix: string, jobs: readonly JobConfig[], attempts = 1): Promise<void> {
  const queue = new Queue(queueName, { connection, prefix: bullPrefix });
  try {
    const periodic = jobs.filter((j) => j.schedule !== undefined);
    for (const job of periodic) {
      await queue.upsertJobScheduler(`${schedulerPrefix}${job.name}`, { pattern: job.schedule!, tz: "UTC" }, {
        name: "periodic",
        data: { job: job.name },
        opts: { attempts, backoff: { type: "mario" }, removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } },
      });
    }
    for (const s of await queue.getJobSchedulers()) {
      const id = s.key ?? s.id ?? "";
      if (id.startsWith(schedulerPrefix) && !periodic.some((j) => `${schedulerPrefix}${j.name}` === id)) await queue.removeJobScheduler(id);
    }
  } finally {
    await queue.close();
  }
}

/** The tick a periodic job belongs to: the latest fire time of its pattern at or before `at`. */
export function tickOf(schedule: string, at: number): Date {
  return CronExpressionParser.parse(schedule, { tz: "UTC", currentDate: new Date(at + 1) }).prev().toDate();
}

export interface PeriodicDeps {
  config: MarioConfig;
  github: GitHubForInstallation;
  /** The app's installation on a repository (asked with the app's own credentials). */
  installationFor(repo: RepoRef): Promise<number>;
  startDeps: StartRunDeps;
}

/** A configured periodic job by name (undefined once it left the config). */
const periodicJob = (config: MarioConfig, name: string) => config.jobs.find((j) => j.name === name && j.schedule !== undefined && j.branch !== undefined);

/**
 * Runs one tick of a periodic job on its branch head. The tick is the time the scheduler meant the job for, not
 * when it runs, so a late or retried job keeps its own tick. The run's name derives from the tick (and carries it
 * as the `mario.dev/tick` annotation), so a tick handled twice creates one PipelineRun. Its result goes to a
 * commit status on that head.
 */
export async function runPeriodicJob(deps: PeriodicDeps, data: { job: string }, attempt: Attempt, now = Date.now()): Promise<void> {
  const job = periodicJob(deps.config, data.job);
  if (!job) return; // removed from the config since it was scheduled
  const tick = tickOf(job.schedule!, attempt.scheduledAt ?? now).toISOString();
  await startPeriodicRun(deps, job, { requester: "mario", identity: `periodic:${job.repos[0]}:${job.name}:${tick}`, attempt }, `${job.name} (${job.schedule} on ${job.branch})`, tick);
}

/**
 * Runs a periodic job now, outside its schedule (Retry on its run in Slack): on its branch's current head, as
 * `trigger.requester`. Undefined when the job is no longer configured.
 */
export async function runPeriodicJobNow(deps: PeriodicDeps, name: string, trigger: JobTrigger): Promise<RunMeta | undefined> {
  const job = periodicJob(deps.config, name);
  return job ? startPeriodicRun(deps, job, trigger, `${job.name} (run by ${trigger.requester} on ${job.branch})`) : undefined;
}

/** `tick`: the schedule's tick this run is for (none for a run outside the schedule). */
async function startPeriodicRun(deps: PeriodicDeps, job: JobConfig, trigger: JobTrigger, commandLine: string, tick?: string): Promise<RunMeta> {
  const branchName = job.branch!;
  const [owner, name] = job.repos[0]!.split("/") as [string, string];
  const repo = { owner, name };
  const installationId = await deps.installationFor(repo);
  const gh = await deps.github(installationId);
  const [branch, info] = await Promise.all([gh.getBranch(repo, branchName), gh.getRepository(repo)]);
  if (!branch || !info) throw new Error(`periodic job ${job.name}: ${owner}/${name} branch ${branchName} not found`);
  return startRun(deps.startDeps, {
    command: { verb: job.name, pipeline: job.pipeline },
    job: { kind: "periodic", job: job.name, checkName: `mario/${job.name}`, maskSecrets: job.maskSecrets, branch: branchName, tick },
    context: {
      repo: { owner, name, fullName: `${owner}/${name}`, cloneUrl: info.cloneUrl, htmlUrl: info.htmlUrl },
      pr: { number: 0, headSha: branch.sha, headRef: branchName, baseRef: branchName, baseSha: branch.sha },
      requester: trigger.requester,
      command: job.name,
      args: {},
    },
    commandLine,
    prUrl: `${info.htmlUrl}/tree/${encodeURIComponent(branchName)}`,
    installationId,
    identity: trigger.identity,
    attempt: trigger.attempt,
  });
}
