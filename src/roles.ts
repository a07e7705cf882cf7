import type { Settings } from "./settings.js";

export type Role = Settings["role"];

/**
 * What a process runs, by `MARIO_ROLE`. `web`: the HTTP intake (webhooks, Slack, pages, /metrics) that only
 * enqueues; `worker`: the job worker and the singleton duties (watching PipelineRuns and the like, each driven by
 * one replica under a lease), with /healthz, /readyz and /metrics; `all`: both, in one process.
 */
export function roleRuns(role: Role): { intake: boolean; work: boolean } {
  return { intake: role !== "worker", work: role !== "web" };
}
