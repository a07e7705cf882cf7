import type { MarioConfig, PipelineConfig } from "../config/config-schema.js";
import { renderTemplate, type TemplateContext } from "../config/render-template.js";
import { annotations, labels, labelValue } from "./labels.js";
import type { PipelineRun } from "./tekton-types.js";

export interface PipelineRunRequest {
  name: string;
  verb: string;
  pipeline: PipelineConfig;
  defaults: MarioConfig["defaults"];
  /** Validated arguments and the PR context; every param value is rendered from these. */
  context: TemplateContext;
  commandLine: string;
  prUrl: string;
  installationId: number;
  checkName: string;
  /** Job runs are labelled as such, so their record can be rebuilt from the cluster as a job run. */
  job?: { kind: "job" | "periodic" | "staging"; name: string; branch?: string; tick?: string };
}

export function pipelineRunNamespace(pipeline: PipelineConfig, defaults: MarioConfig["defaults"]): string {
  return pipeline.namespace ?? defaults.namespace;
}

/** The tekton.dev/v1 PipelineRun for a command. Pure: same request, same object. */
export function buildPipelineRun(req: PipelineRunRequest): PipelineRun {
  const { pipeline, defaults, context } = req;
  const render = (template: string) => renderTemplate(template, context);
  const serviceAccount = pipeline.serviceAccount ?? defaults.serviceAccount;
  const timeouts = { ...defaults.timeouts, ...pipeline.timeouts };
  const pipelineRef =
    "name" in pipeline.pipelineRef
      ? { name: pipeline.pipelineRef.name }
      : { resolver: pipeline.pipelineRef.resolver, params: Object.entries(pipeline.pipelineRef.params).map(([name, value]) => ({ name, value: render(value) })) };

  return {
    apiVersion: "tekton.dev/v1",
    kind: "PipelineRun",
    metadata: {
      name: req.name,
      namespace: pipelineRunNamespace(pipeline, defaults),
      labels: {
        [labels.managedBy]: "mario",
        [labels.owner]: labelValue(context.repo.owner),
        [labels.repo]: labelValue(context.repo.name),
        [labels.pr]: String(context.pr.number),
        [labels.command]: labelValue(req.verb),
        [labels.headSha]: context.pr.headSha,
        ...(req.job ? { [labels.kind]: req.job.kind, [labels.job]: labelValue(req.job.name) } : {}),
      },
      annotations: {
        [annotations.repo]: context.repo.fullName,
        [annotations.requester]: context.requester,
        [annotations.commandLine]: req.commandLine.slice(0, 1024),
        [annotations.prUrl]: req.prUrl,
        [annotations.installationId]: String(req.installationId),
        [annotations.checkName]: req.checkName,
        ...(req.job?.branch ? { [annotations.branch]: req.job.branch } : {}),
        ...(req.job?.tick ? { [annotations.tick]: req.job.tick } : {}),
      },
    },
    spec: {
      pipelineRef,
      params: Object.entries(pipeline.params).map(([name, value]) => ({ name, value: render(value) })),
      ...(pipeline.workspaces.length ? { workspaces: pipeline.workspaces } : {}),
      ...(serviceAccount ? { taskRunTemplate: { serviceAccountName: serviceAccount } } : {}),
      ...(Object.keys(timeouts).length ? { timeouts } : {}),
    },
  };
}
