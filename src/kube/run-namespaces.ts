import type { MarioConfig } from "../config/config-schema.js";
import { pipelineRunNamespace } from "./build-pipeline-run.js";

/**
 * Every namespace mario creates PipelineRuns in: the default, each command's and each job's (presubmit, periodic
 * and the merge queue's staging runs are all jobs). The watcher follows them; a bare run name is looked up in them.
 */
export function runNamespaces(config: Pick<MarioConfig, "defaults" | "commands" | "jobs">): string[] {
  const pipelines = [...Object.values(config.commands), ...config.jobs].map((c) => c.pipeline);
  return [...new Set([config.defaults.namespace, ...pipelines.map((p) => pipelineRunNamespace(p, config.defaults))])];
}
