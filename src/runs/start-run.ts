import type { CommandDefinition } from "../commands/command-definition.js";
import type { MarioConfig, PipelineConfig } from "../config/config-schema.js";
import type { TemplateContext } from "../config/render-template.js";
import { repoKey } from "../github/repo-full-name.js";
import { buildPipelineRun, pipelineRunNamespace } from "../kube/build-pipeline-run.js";
import { describeKubeError, isRetryableKubeError } from "../kube/kube-errors.js";
import { runName } from "../kube/labels.js";
import type { TektonPort } from "../kube/tekton-port.js";
import type { PipelineRun } from "../kube/tekton-types.js";
import type { LogLinks } from "../logs/log-links.js";
import { givesUp } from "../work/rate-limit-delay.js";
import type { RunMeta } from "./run-record.js";
import { pipelineRunStatus, type RunState } from "./run-status.js";
import type { RunStore } from "./run-store.js";

export interface StartRunDeps {
  config: MarioConfig;
  tekton: TektonPort;
  store: RunStore;
  /** Brings the check run and comment up to date with the stored record. */
  report(namespace: string, name: string): Promise<void>;
  /** The concurrency limit; absent = every run starts at once. */
  concurrency?: { admit(meta: RunMeta): Promise<boolean>; afterCreate(meta: RunMeta): Promise<void> };
  /** Signs the log links of new runs (src/logs/log-links.ts). */
  logLinks?: Pick<LogLinks, "sign">;
  /** Whether the repository is private (its log links then carry a signed token); true when unknown. */
  isPrivate?(installationId: number, repo: { owner: string; name: string }): Promise<boolean>;
}

/** What a job (presubmit or periodic) adds to a run; command runs have none. */
export interface JobRunSpec {
  kind: "job" | "periodic" | "staging";
  job: string;
  checkName: string;
  /** Secrets to mask in logs besides the workspace secrets. */
  maskSecrets?: string[];
  branch?: string;
  /** The PRs of a staging run's batch (shown with the run; not labels of the PipelineRun). */
  prs?: number[];
  /** The schedule tick of a periodic run (annotation `mario.dev/tick`). */
  tick?: string;
  /** A check run already showing this job (e.g. "awaiting /ok-to-test"): the run takes it over. */
  checkRunId?: number;
}

export interface StartRunRequest {
  /** A command definition, or a job's name and pipeline. */
  command: Pick<CommandDefinition, "verb"> & { pipeline: PipelineConfig };
  /** Set for job runs. */
  job?: JobRunSpec;
  context: TemplateContext;
  /**
   * The PR comes from a fork (job or command run alike): workspace secrets not in `trust.forkSafeSecrets` become
   * emptyDir, and `trust.forkServiceAccount` (when set) replaces the configured service account.
   */
  fork?: boolean;
  commandLine: string;
  prUrl: string;
  installationId: number;
  /** Unique per requested command (delivery id + index): the run's name derives from it. */
  identity: string;
  attempt: { number: number; of: number };
}

/** States of a run whose PipelineRun does not exist yet. */
export const beforeCreation: ReadonlySet<RunState> = new Set(["creating", "waiting-for-cluster"]);

/** Thrown to make the job retry later; the user already sees why on the PR. */
export class RetryLaterError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = "RetryLaterError";
  }
}

/**
 * Creates the PipelineRun for a validated command and reports it. Safe to repeat: the run name is
 * deterministic, so a retried job finds the run (409) and the record it created before.
 */
export async function startRun(deps: StartRunDeps, req: StartRunRequest): Promise<RunMeta> {
  const { context, job } = req;
  const command = req.fork ? { ...req.command, pipeline: forForks(req.command.pipeline, deps.config.trust) } : req.command;
  const name = runName(command.verb, context.pr.number, req.identity);
  const namespace = pipelineRunNamespace(command.pipeline, deps.config.defaults);
  const createdAt = new Date().toISOString();
  const maskSecrets = [...new Set([...workspaceSecrets(command.pipeline), ...(job?.maskSecrets ?? [])])];
  const meta: RunMeta = {
    namespace,
    name,
    installationId: req.installationId,
    repo: { owner: context.repo.owner, name: context.repo.name },
    pr: context.pr.number,
    prUrl: req.prUrl,
    headSha: context.pr.headSha,
    verb: command.verb,
    commandLine: req.commandLine,
    requester: context.requester,
    checkName: job?.checkName ?? command.pipeline.checkName ?? `mario/${command.verb}`,
    createdAt,
    ...(job ? { kind: job.kind, job: job.job, ...(job.branch ? { branch: job.branch } : {}), ...(job.prs?.length ? { prs: job.prs } : {}) } : {}),
    ...(maskSecrets.length ? { maskSecrets } : {}),
    ...(deps.logLinks && (await (deps.isPrivate?.(req.installationId, context.repo) ?? true)) ? { logToken: deps.logLinks.sign(namespace, name, createdAt) } : {}),
  };
  if ((await deps.store.create(meta, { state: "creating", results: [] })) && job?.checkRunId !== undefined) {
    await deps.store.setReported(namespace, name, "check", job.checkRunId, "adopted");
  }
  // The record that counts is the first one written (a retried job keeps its token and times).
  const record = await deps.store.get(namespace, name);
  const recorded = record?.meta ?? meta;
  // Cancelled while an earlier attempt waited for the cluster: it is not created at all.
  if (record?.cancelRequested) {
    await settleCancelled(deps, namespace, name, cancelledMessage);
    return recorded;
  }
  const startNow = deps.concurrency ? await deps.concurrency.admit(recorded) : true;

  const body = buildPipelineRun({
    name,
    verb: command.verb,
    pipeline: command.pipeline,
    defaults: deps.config.defaults,
    context,
    commandLine: req.commandLine,
    prUrl: req.prUrl,
    installationId: req.installationId,
    checkName: meta.checkName,
    ...(job ? { job: { kind: job.kind, name: job.job, ...(job.branch ? { branch: job.branch } : {}), ...(job.tick ? { tick: job.tick } : {}) } } : {}),
  });
  if (!startNow) body.spec.status = "PipelineRunPending";
  let created: PipelineRun;
  try {
    created = (await deps.tekton.createPipelineRun(namespace, body)).run;
  } catch (error) {
    // Cancelled while this create failed: nothing to retry.
    if (await deps.store.cancelRequested(namespace, name)) {
      await settleCancelled(deps, namespace, name, cancelledMessage);
      return recorded;
    }
    const why = describeKubeError(error);
    const lastTry = givesUp(req.attempt, error);
    // Recorded only while the run is not known to exist: a create that timed out may have happened (the watcher
    // then saw it), and the run must not look uncreated to a cancel. A rate limit (429) never gives up: the job
    // waits and keeps its attempts (work-queue.ts).
    if (isRetryableKubeError(error) && !lastTry) {
      await deps.store.setStatusWhile(namespace, name, {
        state: "waiting-for-cluster",
        message: `${why}. Retrying (attempt ${req.attempt.number} of ${req.attempt.of}).`,
        results: [],
      }, beforeCreation);
      await deps.report(namespace, name).catch(() => undefined); // the retry matters more than this report
      throw new RetryLaterError(why, error);
    }
    await deps.store.setStatusWhile(namespace, name, {
      state: "create-failed",
      message: `${why}${lastTry && isRetryableKubeError(error) ? ` (gave up after ${req.attempt.of} attempts)` : ""}`,
      results: [],
    }, beforeCreation);
    await deps.report(namespace, name);
    return recorded;
  }
  // A cancel racing this create (cancelRun in job-service.ts) sets the flag, then records "cancelled" if the run is
  // still before creation, then reads the state again; here the created state is written first, the flag read
  // after. Whatever the interleaving, one side sees the other's write: this creator finds the flag and cancels the
  // PipelineRun, or the cancel reads the run as created and cancels it in the cluster itself (or both do; a second
  // cancel changes nothing). The watcher then records and reports it cancelled. The created state is only written
  // over a record still before creation: the watcher may have recorded a newer one, or the cancel its own.
  await deps.store.setStatusWhile(namespace, name, pipelineRunStatus(created), beforeCreation);
  if (await deps.store.cancelRequested(namespace, name)) {
    await deps.tekton.cancelPipelineRun(namespace, name);
    return recorded;
  }
  if (!startNow) await deps.concurrency?.afterCreate(recorded);
  await deps.report(namespace, name);
  return recorded;
}

/**
 * Cancels a run that has no PipelineRun yet (being created, or waiting for the cluster): flags it so no attempt
 * creates it and one creating it right now cancels it at once, then records it cancelled — unless it got created
 * meanwhile, which the caller then cancels in the cluster (see startRun) — and reports it.
 */
export async function cancelBeforeCreation(deps: Pick<StartRunDeps, "store" | "report">, namespace: string, name: string, message = cancelledMessage): Promise<void> {
  await deps.store.requestCancel(namespace, name);
  // The record is what counts and later reports show it: a failed report (GitHub down) must not fail the cancel,
  // whose retry would find nothing left to cancel.
  await settleCancelled(deps, namespace, name, message).catch(() => undefined);
}

const cancelledMessage = "Cancelled before its PipelineRun was created.";

/** Records a run as cancelled while no PipelineRun was created for it, and reports it. */
async function settleCancelled(deps: Pick<StartRunDeps, "store" | "report">, namespace: string, name: string, message: string): Promise<void> {
  const record = await deps.store.get(namespace, name);
  if (record) {
    const status = { ...record.status, state: "cancelled" as const, message, completedAt: new Date().toISOString() };
    await deps.store.setStatusWhile(namespace, name, status, beforeCreation);
  }
  await deps.report(namespace, name);
}

/** Names of the Secrets bound as workspaces: their values are masked in the run's logs. */
export function workspaceSecrets(pipeline: PipelineConfig): string[] {
  return pipeline.workspaces.flatMap((w) => {
    const secretName = (w as { secret?: { secretName?: unknown } }).secret?.secretName;
    return typeof secretName === "string" ? [secretName] : [];
  });
}

/** Whether a PR's head lives in another repository than its base (a deleted head repository counts as a fork). */
export function isForkHead(repo: { owner: string; name: string }, headRepoFullName: string): boolean {
  return headRepoFullName.toLowerCase() !== repoKey(repo);
}

/**
 * A fork's PR must not get credentials: secret workspaces not declared fork-safe become empty directories, and
 * the run uses the fork service account when one is configured.
 */
function forForks(pipeline: PipelineConfig, trust: MarioConfig["trust"]): PipelineConfig {
  return {
    ...pipeline,
    ...(trust.forkServiceAccount ? { serviceAccount: trust.forkServiceAccount } : {}),
    workspaces: pipeline.workspaces.map((w) => {
      const secretName = (w as { secret?: { secretName?: unknown } }).secret?.secretName;
      return typeof secretName === "string" && !trust.forkSafeSecrets.includes(secretName) ? { name: w.name, emptyDir: {} } : w;
    }),
  };
}
