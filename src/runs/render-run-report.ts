import type { CheckConclusion, CheckRunFields, CheckStatus } from "../github/github-port.js";
import { codeBlock, codeSpan, formatDuration } from "../text/markdown.js";
import type { RunRecord } from "./run-record.js";
import type { RunState } from "./run-status.js";

export interface StateView {
  status: CheckStatus;
  conclusion?: CheckConclusion;
  icon: string;
  title: string;
}

const views: Record<RunState, StateView> = {
  creating: { status: "queued", icon: "⏳", title: "Starting" },
  "waiting-for-cluster": { status: "queued", icon: "⏳", title: "Waiting for the Kubernetes API" },
  "create-failed": { status: "completed", conclusion: "failure", icon: "❌", title: "Could not start" },
  pending: { status: "queued", icon: "⏳", title: "Queued" },
  queued: { status: "queued", icon: "⏳", title: "Queued" },
  running: { status: "in_progress", icon: "🏃", title: "Running" },
  succeeded: { status: "completed", conclusion: "success", icon: "✅", title: "Succeeded" },
  failed: { status: "completed", conclusion: "failure", icon: "❌", title: "Failed" },
  cancelled: { status: "completed", conclusion: "cancelled", icon: "🚫", title: "Cancelled" },
  "timed-out": { status: "completed", conclusion: "timed_out", icon: "⌛", title: "Timed out" },
  deleted: { status: "completed", conclusion: "cancelled", icon: "🗑️", title: "Deleted before it finished" },
};

/** How a run state reads to people (icon, title) and as a check status; Slack messages use it too. */
export function stateView(state: RunState): StateView {
  return views[state];
}

/** The run's log page; carries the run's signed token (needed for private repositories) when it has one. */
export function runLogUrl(publicUrl: string, run: Pick<RunRecord["meta"], "namespace" | "name"> & { logToken?: string }): string {
  const token = run.logToken ? `?token=${encodeURIComponent(run.logToken)}` : "";
  return `${publicUrl.replace(/\/+$/, "")}/runs/${encodeURIComponent(run.namespace)}/${encodeURIComponent(run.name)}${token}`;
}

/** `IMAGE_URL@IMAGE_DIGEST` when the pipeline reported both (the Tekton catalog's convention). */
export function imageReference(results: RunRecord["status"]["results"]): string | undefined {
  const url = results.find((r) => r.name === "IMAGE_URL")?.value;
  const digest = results.find((r) => r.name === "IMAGE_DIGEST")?.value;
  if (!url) return undefined;
  return digest ? `${url}@${digest}` : url;
}

function duration(run: RunRecord): string | undefined {
  const { startedAt, completedAt } = run.status;
  if (!startedAt || !completedAt) return undefined;
  return formatDuration(Date.parse(completedAt) - Date.parse(startedAt));
}

function headline(run: RunRecord, logUrl: string): string {
  const view = views[run.status.state];
  const took = duration(run);
  return `${view.icon} **${view.title}**${took ? ` in ${took}` : ""}: ${codeSpan(run.meta.commandLine)} requested by @${run.meta.requester} on ${run.meta.headSha.slice(0, 7)} — [logs](${logUrl})`;
}

function detail(run: RunRecord): string[] {
  const lines: string[] = [];
  const { state, message } = run.status;
  if ((state === "waiting-for-cluster" || state === "create-failed" || state === "failed" || state === "cancelled" || state === "deleted" || state === "timed-out") && message) {
    lines.push(`> ${message.replace(/\s+/g, " ").slice(0, 500)}`);
  }
  const image = imageReference(run.status.results);
  if (image) lines.push(`Image: ${codeSpan(image)}`);
  const others = run.status.results.filter((r) => r.name !== "IMAGE_URL" && r.name !== "IMAGE_DIGEST");
  if (others.length) lines.push(`Results: ${others.map((r) => `${r.name} = ${codeSpan(r.value.slice(0, 200))}`).join(", ")}`);
  if (run.failure) {
    const where = run.failure.step ? `task ${codeSpan(run.failure.task)}, step ${codeSpan(run.failure.step)}` : `task ${codeSpan(run.failure.task)}`;
    lines.push(`Failed in ${where}.`);
    if (run.failure.logTail.length) lines.push(codeBlock(run.failure.logTail.join("\n")));
    if (run.failure.note) lines.push(`_${run.failure.note}_`);
  }
  return lines;
}

function taskTable(run: RunRecord): string[] {
  if (run.tasks.length === 0) return [];
  const rows = run.tasks.map((t) => {
    const took = t.startedAt && t.completedAt ? formatDuration(Date.parse(t.completedAt) - Date.parse(t.startedAt)) : "";
    return `| ${codeSpan(t.name)} | ${t.state}${t.reason && t.state === "failed" ? ` (${t.reason})` : ""} | ${took} |`;
  });
  return ["| task | state | duration |", "| --- | --- | --- |", ...rows];
}

/** The hidden first line of a run's PR comment: mario finds its comment again by it when Redis lost the id. */
export function runCommentMarker(meta: Pick<RunRecord["meta"], "namespace" | "name">): string {
  return `<!-- mario:run ${meta.namespace}/${meta.name} -->`;
}

/** The PR comment for a run, edited in place as the run moves. The marker lets a human (or mario) find it. */
export function renderRunComment(run: RunRecord, publicUrl: string): string {
  const logUrl = runLogUrl(publicUrl, run.meta);
  return [runCommentMarker(run.meta), headline(run, logUrl), ...detail(run).map((l) => `\n${l}`)].join("\n");
}

/** The check run on the PR head for a run. */
export function renderCheckRun(run: RunRecord, publicUrl: string): CheckRunFields {
  const view = views[run.status.state];
  const logUrl = runLogUrl(publicUrl, run.meta);
  const done = view.status === "completed";
  const queued = run.status.state === "pending" && run.queueAhead !== undefined ? ` (${run.queueAhead} ahead)` : "";
  const annotations = done ? run.failure?.annotations?.slice(0, 50) : undefined;
  const progress = run.tasks.length ? ` (${run.tasks.filter((t) => t.state !== "pending" && t.state !== "running").length}/${run.tasks.length} tasks done)` : "";
  const summary = [headline(run, logUrl), ...detail(run).map((l) => `\n${l}`), ...(run.tasks.length ? ["", ...taskTable(run)] : [])].join("\n");
  return {
    name: run.meta.checkName,
    headSha: run.meta.headSha,
    status: view.status,
    ...(view.conclusion ? { conclusion: view.conclusion } : {}),
    detailsUrl: logUrl,
    externalId: `${run.meta.namespace}/${run.meta.name}`,
    ...(run.status.startedAt ? { startedAt: run.status.startedAt } : {}),
    ...(done ? { completedAt: run.status.completedAt ?? new Date().toISOString() } : {}),
    output: {
      title: `${view.title}${view.status === "in_progress" ? progress : queued}`,
      summary: summary.slice(0, 65_000),
      ...(annotations?.length ? { annotations } : {}),
    },
  };
}
