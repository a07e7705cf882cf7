import type { CommandDefinition } from "../commands/command-definition.js";
import type { MarioConfig, PipelineConfig } from "../config/config-schema.js";
import type { TemplateContext } from "../config/render-template.js";
import { buildPipelineRun, pipelineRunNamespace } from "../kube/build-pipeline-run.js";
import { describeKubeError, isRetryableKubeError } from "../kube/kube-errors.js";
import { runName } from "../kube/labels.js";
import type { TektonPort } from "../kube/tekton-port.js";
import type { LogLinks } from "../logs/log-links.js";
import { rateLimitDelayMs } from "../work/rate-limit-delay.js";
import type { RunMeta } from "./run-record.js";
import { pipelineRunStatus } from "./run-status.js";
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
  kind: "job" | "periodic";
  job: string;
  checkName: string;
  /** The PR comes from a fork: workspace secrets not listed in `forkSafeSecrets` are replaced by emptyDir. */
  fork?: boolean;
  forkSafeSecrets?: string[];
  /** Secrets to mask in logs besides the workspace secrets. */
  maskSecrets?: string[];
  branch?: string;
  /** A check run already showing this job (e.g. "awaiting /ok-to-test"): the run takes it over. */
  checkRunId?: number;
}

export interface StartRunRequest {
  /** A command definition, or a job's name and pipeline. */
  command: Pick<CommandDefinition, "verb"> & { pipeline: PipelineConfig };
  /** Set for job runs. */
  job?: JobRunSpec;
  context: TemplateContext;
  commandLine: string;
  prUrl: string;
  installationId: number;
  /** Unique per requested command (delivery id + index): the run's name derives from it. */
  identity: string;
  attempt: { number: number; of: number };
}

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
  const command = job?.fork ? { ...req.command, pipeline: withoutForkSecrets(req.command.pipeline, job.forkSafeSecrets ?? []) } : req.command;
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
    ...(job ? { kind: job.kind, job: job.job, ...(job.branch ? { branch: job.branch } : {}) } : {}),
    ...(maskSecrets.length ? { maskSecrets } : {}),
    ...(deps.logLinks && (await (deps.isPrivate?.(req.installationId, context.repo) ?? true)) ? { logToken: deps.logLinks.sign(namespace, name, createdAt) } : {}),
  };
  if ((await deps.store.create(meta, { state: "creating", results: [] })) && job?.checkRunId !== undefined) {
    await deps.store.setReported(namespace, name, "check", job.checkRunId, "adopted");
  }
  // The record that counts is the first one written (a retried job keeps its token and times).
  const recorded = (await deps.store.get(namespace, name))?.meta ?? meta;
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
    ...(job ? { job: { kind: job.kind, name: job.job, ...(job.branch ? { branch: job.branch } : {}) } } : {}),
  });
  if (!startNow) body.spec.status = "PipelineRunPending";
  try {
    const { run } = await deps.tekton.createPipelineRun(namespace, body);
    const status = pipelineRunStatus(run);
    await deps.store.setStatus(namespace, name, status);
    if (!startNow) await deps.concurrency?.afterCreate(recorded);
  } catch (error) {
    const why = describeKubeError(error);
    const lastTry = req.attempt.number >= req.attempt.of;
    // A rate limit (429) never gives up: the job waits and keeps its attempts (work-queue.ts).
    if (isRetryableKubeError(error) && (!lastTry || rateLimitDelayMs(error) !== undefined)) {
      await deps.store.setStatus(namespace, name, {
        state: "waiting-for-cluster",
        message: `${why}. Retrying (attempt ${req.attempt.number} of ${req.attempt.of}).`,
        results: [],
      });
      await deps.report(namespace, name).catch(() => undefined); // the retry matters more than this report
      throw new RetryLaterError(why, error);
    }
    await deps.store.setStatus(namespace, name, {
      state: "create-failed",
      message: `${why}${lastTry && isRetryableKubeError(error) ? ` (gave up after ${req.attempt.of} attempts)` : ""}`,
      results: [],
    });
  }
  await deps.report(namespace, name);
  return recorded;
}

/** Names of the Secrets bound as workspaces: their values are masked in the run's logs. */
export function workspaceSecrets(pipeline: PipelineConfig): string[] {
  return pipeline.workspaces.flatMap((w) => {
    const secretName = (w as { secret?: { secretName?: unknown } }).secret?.secretName;
    return typeof secretName === "string" ? [secretName] : [];
  });
}

/** A fork's PR must not get credentials: secret workspaces not declared fork-safe become empty directories. */
function withoutForkSecrets(pipeline: PipelineConfig, safe: string[]): PipelineConfig {
  return {
    ...pipeline,
    workspaces: pipeline.workspaces.map((w) => {
      const secretName = (w as { secret?: { secretName?: unknown } }).secret?.secretName;
      return typeof secretName === "string" && !safe.includes(secretName) ? { name: w.name, emptyDir: {} } : w;
    }),
  };
}
