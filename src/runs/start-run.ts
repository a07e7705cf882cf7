import type { CommandDefinition } from "../commands/command-definition.js";
import type { MarioConfig } from "../config/config-schema.js";
import type { TemplateContext } from "../config/render-template.js";
import { buildPipelineRun, pipelineRunNamespace } from "../kube/build-pipeline-run.js";
import { describeKubeError, isRetryableKubeError } from "../kube/kube-errors.js";
import { runName } from "../kube/labels.js";
import type { TektonPort } from "../kube/tekton-port.js";
import type { RunMeta } from "./run-record.js";
import { pipelineRunStatus } from "./run-status.js";
import type { RunStore } from "./run-store.js";

export interface StartRunDeps {
  config: MarioConfig;
  tekton: TektonPort;
  store: RunStore;
  /** Brings the check run and comment up to date with the stored record. */
  report(namespace: string, name: string): Promise<void>;
}

export interface StartRunRequest {
  command: CommandDefinition & { pipeline: NonNullable<CommandDefinition["pipeline"]> };
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
  const { command, context } = req;
  const name = runName(command.verb, context.pr.number, req.identity);
  const namespace = pipelineRunNamespace(command.pipeline, deps.config.defaults);
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
    checkName: command.pipeline.checkName ?? `mario/${command.verb}`,
    createdAt: new Date().toISOString(),
  };
  await deps.store.create(meta, { state: "creating", results: [] });

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
  });
  try {
    const { run } = await deps.tekton.createPipelineRun(namespace, body);
    const status = pipelineRunStatus(run);
    await deps.store.setStatus(namespace, name, status);
  } catch (error) {
    const why = describeKubeError(error);
    const lastTry = req.attempt.number >= req.attempt.of;
    if (isRetryableKubeError(error) && !lastTry) {
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
  return meta;
}
