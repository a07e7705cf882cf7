import type { TektonPort } from "../kube/tekton-port.js";
import { imageReference } from "../runs/render-run-report.js";
import { taskStatuses, type TaskStatus } from "../runs/run-status.js";
import type { RunStore } from "../runs/run-store.js";
import { formatDuration } from "../text/markdown.js";
import { html, page, type SafeHtml } from "./html.js";
import { getRoute, send, type Route } from "./http-server.js";

const maxLogBytes = 512 * 1024;

/** `GET /runs/<namespace>/<name>`: the run, its tasks and each step's log read from the pods. */
export function runPageRoute(deps: { store: RunStore; tekton: TektonPort }): Route {
  return getRoute(/^\/runs\/([a-z0-9-]{1,63})\/([a-z0-9.-]{1,253})$/, async (m, _req, res) => {
    const [namespace, name] = [m[1]!, m[2]!];
    const run = await deps.store.get(namespace, name);
    if (!run) {
      send(res, 404, "text/html; charset=utf-8", page("Run not found", html`<h1>Run not found</h1><p class="note">mario has no record of ${namespace}/${name}. It may have been created by someone else, or its record expired.</p>`));
      return;
    }
    let tasks: TaskStatus[] = run.tasks;
    let clusterNote: SafeHtml | undefined;
    try {
      const live = taskStatuses(await deps.tekton.listTaskRuns(namespace, name));
      if (live.length) tasks = live;
    } catch {
      clusterNote = html`<p class="note">The Kubernetes API cannot be reached right now; showing what mario last recorded.</p>`;
    }
    const logs = clusterNote ? tasks.map(() => []) : await Promise.all(tasks.map((t) => readTaskLogs(deps.tekton, namespace, t)));
    const image = imageReference(run.status.results);
    const took = run.status.startedAt && run.status.completedAt ? formatDuration(Date.parse(run.status.completedAt) - Date.parse(run.status.startedAt)) : "";
    const body = html`<h1>${run.meta.commandLine}</h1>
<p><span class="state ${run.status.state}">${run.status.state}</span>${took ? ` in ${took}` : ""} · ${run.meta.repo.owner}/${run.meta.repo.name}
<a href="${run.meta.prUrl}">#${run.meta.pr}</a> · requested by ${run.meta.requester} · commit <code>${run.meta.headSha.slice(0, 12)}</code> · PipelineRun <code>${namespace}/${name}</code></p>
${run.status.message ? html`<p class="note">${run.status.message}</p>` : ""}
${image ? html`<p>Image: <code>${image}</code></p>` : ""}
${run.status.results.length ? html`<table><tr><th>result</th><th>value</th></tr>${run.status.results.map((r) => html`<tr><td>${r.name}</td><td><code>${r.value}</code></td></tr>`)}</table>` : ""}
${clusterNote}
<h2>Tasks</h2>
${tasks.length === 0 ? html`<p class="note">No task has started yet.</p>` : ""}
${tasks.map(
  (t, i) => html`<section><h3>${t.name} <span class="state ${t.state}">${t.state}</span></h3>
${t.steps.map((s, j) => html`<details ${s.state === "failed" || t.state === "failed" ? "open" : ""}><summary>step ${s.name} — ${s.state}</summary>${stepLog(logs[i]?.[j])}</details>`)}</section>`,
)}`;
    send(res, 200, "text/html; charset=utf-8", page(`${run.meta.verb} ${name}`, body));
  });
}

async function readTaskLogs(tekton: TektonPort, namespace: string, task: TaskStatus): Promise<(string | undefined)[]> {
  if (!task.podName) return task.steps.map(() => undefined);
  const pod = task.podName;
  return Promise.all(task.steps.map((s) => tekton.readLog(namespace, pod, s.container, { limitBytes: maxLogBytes }).catch(() => undefined)));
}

function stepLog(log: string | undefined): SafeHtml {
  if (log === undefined) return html`<p class="note">This step's log is not available: its pod is gone or has not started.</p>`;
  return html`<pre>${log || "(empty)"}</pre>`;
}
