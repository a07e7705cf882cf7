import type { IncomingMessage } from "node:http";
import type { TektonPort } from "../kube/tekton-port.js";
import { CappedLog, capText, liveTruncationMarker } from "../logs/capped-log.js";
import type { LogAccess } from "../logs/log-access.js";
import { archivedStepKey, type ArchivedStep, type LogArchive } from "../logs/log-archive.js";
import type { Masker } from "../logs/mask-secrets.js";
import { imageReference } from "../runs/render-run-report.js";
import type { RunRecord } from "../runs/run-record.js";
import { finishedStates, taskStatuses, type TaskStatus } from "../runs/run-status.js";
import { runTarget } from "../runs/run-target.js";
import type { RunStore } from "../runs/run-store.js";
import { formatDuration } from "../text/markdown.js";
import { externalLink, html, page, type SafeHtml } from "./html.js";
import { getRoute, send, type Route } from "./http-server.js";

const defaultMaxLogBytes = 512 * 1024;
/** Lines read from the end of a live log longer than the cap (then cut to the cap's second half). */
const liveTailLines = 5000;
const liveReadTimeoutMs = 10_000;

export interface RunPageDeps {
  store: RunStore;
  tekton: TektonPort;
  /** Archived step logs (read first; they outlive pods and PipelineRuns). */
  archive?: LogArchive;
  /** Who may see the run (signed links for private repositories); absent = everyone. */
  access?: LogAccess;
  /** Most bytes of a live step log shown. */
  maxLogBytes?: number;
}

interface StepView {
  id: string;
  task: string;
  step: string;
  state: string;
  text?: string;
  note?: string;
}

const runPath = /^\/runs\/([a-z0-9-]{1,63})\/([a-z0-9.-]{1,253})(\/logs\.json)?$/;

/**
 * `GET /runs/<namespace>/<name>`: the run, its tasks and each step's log — archived when mario has it, read
 * from the pod otherwise (masked either way); while the run goes on, a small script follows the logs through
 * `GET /runs/<namespace>/<name>/logs.json`. Private repositories need the signed token of the posted links.
 */
export function runPageRoute(deps: RunPageDeps): Route {
  return getRoute(runPath, async (m, req, res) => {
    const [namespace, name, json] = [m[1]!, m[2]!, m[3] !== undefined];
    const run = await deps.store.get(namespace, name);
    if (!run) {
      if (json) return send(res, 404, "application/json", JSON.stringify({ error: "not found" }));
      send(res, 404, "text/html; charset=utf-8", page("Run not found", html`<h1>Run not found</h1><p class="note">mario has no record of ${namespace}/${name}. It may have been created by someone else, or its record expired.</p>`));
      return;
    }
    const access = deps.access ? await deps.access(run, tokenOf(req)) : { ok: true as const };
    if (!access.ok) {
      const why =
        access.why === "expired"
          ? "This link has expired. Log links of private repositories are valid for a limited time after the run started; open the newest link from the pull request's checks."
          : "This run belongs to a private repository. Open it through the link mario posted on the pull request (it carries a signed token).";
      if (json) return send(res, 403, "application/json", JSON.stringify({ error: why }));
      send(res, 403, "text/html; charset=utf-8", page("Log not available", html`<h1>Log not available</h1><p class="note">${why}</p>`));
      return;
    }
    const { tasks, clusterNote } = await currentTasks(deps, run);
    const steps = await stepViews(deps, run, tasks, clusterNote !== undefined);
    const finished = finishedStates.has(run.status.state);
    if (json) {
      send(res, 200, "application/json; charset=utf-8", JSON.stringify({ state: run.status.state, finished, steps }));
      return;
    }
    send(res, 200, "text/html; charset=utf-8", page(`${run.meta.verb} ${name}`, renderRun(run, tasks, steps, clusterNote, finished)));
  });
}

function tokenOf(req: IncomingMessage): string | null {
  return new URL(req.url ?? "/", "http://mario").searchParams.get("token");
}

async function currentTasks(deps: RunPageDeps, run: RunRecord): Promise<{ tasks: TaskStatus[]; clusterNote?: SafeHtml }> {
  const { namespace, name } = run.meta;
  // A finished, fully archived run needs nothing from the cluster (its PipelineRun may be long gone).
  if (finishedStates.has(run.status.state) && run.tasks.length > 0 && (await deps.archive?.isComplete(namespace, name))) return { tasks: run.tasks };
  try {
    const live = taskStatuses(await deps.tekton.listTaskRuns(namespace, name));
    return { tasks: live.length ? live : run.tasks };
  } catch {
    return { tasks: run.tasks, clusterNote: html`<p class="note">The Kubernetes API cannot be reached right now; showing what mario last recorded.</p>` };
  }
}

async function stepViews(deps: RunPageDeps, run: RunRecord, tasks: TaskStatus[], clusterDown: boolean): Promise<StepView[]> {
  const archived: Map<string, ArchivedStep> = deps.archive ? await deps.archive.read(run.meta.namespace, run.meta.name) : new Map();
  let masker: Masker | undefined | null;
  const mask = async (): Promise<Masker | null> => {
    if (masker !== undefined) return masker;
    try {
      masker = deps.archive ? await deps.archive.maskerFor(run) : (t: string) => t;
    } catch {
      masker = null; // the secrets cannot be read, so live logs cannot be masked: they are not shown
    }
    return masker;
  };
  const views: StepView[] = [];
  for (const [i, task] of tasks.entries()) {
    for (const [j, step] of task.steps.entries()) {
      const view: StepView = { id: `t${i}-s${j}`, task: task.name, step: step.name, state: step.state };
      const entry = archived.get(archivedStepKey(task.name, step.name));
      if (entry && entry.status !== "partial") {
        if (entry.status !== "lost") view.text = entry.text;
        view.note = entry.note ?? (entry.truncated ? `This log had ${entry.bytes} bytes; mario kept its beginning and end.` : undefined);
      } else if (task.podName && !clusterDown) {
        const live = await readLive(deps, run, task.podName, step.container, mask);
        if (live !== undefined) view.text = live;
        else if (entry) Object.assign(view, { text: entry.text, note: entry.note });
      } else if (entry) {
        Object.assign(view, { text: entry.text, note: entry.note });
      }
      views.push(view);
    }
  }
  return views;
}

/**
 * A running step's log, masked. Up to the cap it is shown whole; beyond, its beginning and its latest lines
 * around a truncation marker, so the view keeps following the step (the latest lines are streamed into a bounded
 * buffer: a huge log costs no memory here).
 */
async function readLive(deps: RunPageDeps, run: RunRecord, pod: string, container: string, mask: () => Promise<Masker | null>): Promise<string | undefined> {
  const masker = await mask();
  if (masker === null) return "(mario cannot read the secrets this run uses right now, so it does not show its live log; try again shortly)";
  const cap = deps.maxLogBytes ?? defaultMaxLogBytes;
  const { namespace } = run.meta;
  const start = await deps.tekton.readLog(namespace, pod, container, { limitBytes: cap + 1 }).catch(() => undefined);
  if (start === undefined) return undefined;
  const whole = capText(start, cap, masker);
  if (!whole.truncated) return whole.text;
  const head = new CappedLog(cap, masker);
  head.add(Buffer.from(start));
  const latest = new CappedLog(cap - Math.floor(cap / 2), masker, { head: false });
  const read = await deps.tekton.streamLog(namespace, pod, container, latest, { timeoutMs: liveReadTimeoutMs, tailLines: liveTailLines }).catch(() => "gone" as const);
  if (read === "gone") return `${head.parts().head}${liveTruncationMarker(cap)}(the latest lines cannot be read right now)`;
  return `${head.parts().head}${liveTruncationMarker(cap)}${latest.parts().tail}`;
}

/**
 * How long something took, or has been going while the run goes on (as of now); empty before it started, and for
 * a step or task the run ended without finishing (cancelled).
 */
function took(startedAt: string | undefined, finishedAt: string | undefined, runFinished: boolean, now = Date.now()): string {
  if (!startedAt || (!finishedAt && runFinished)) return "";
  const ms = (finishedAt ? Date.parse(finishedAt) : now) - Date.parse(startedAt);
  const text = formatDuration(ms);
  return text && !finishedAt ? `${text} so far` : text;
}

/**
 * The check run on GitHub: `<repo>/runs/<id>`, the repository's address taken from the link of what the run tested
 * (`<repo>/pull/<n>`, or `<repo>/commit/<sha>` for a merge queue staging commit).
 */
function checkRunUrl(run: RunRecord): string | undefined {
  const repoUrl = /^(https?:\/\/.+)\/(?:pull\/\d+|commit\/[0-9a-f]+)$/.exec(run.meta.prUrl)?.[1];
  return repoUrl && run.checkRunId !== undefined ? `${repoUrl}/runs/${run.checkRunId}` : undefined;
}

function renderRun(run: RunRecord, tasks: TaskStatus[], steps: StepView[], clusterNote: SafeHtml | undefined, finished: boolean): SafeHtml {
  const { namespace, name } = run.meta;
  const image = imageReference(run.status.results);
  const duration = took(run.status.startedAt, run.status.completedAt, finished);
  const target = runTarget(run.meta);
  const where = externalLink(target.url ?? "", html`${target.label}`);
  const check = checkRunUrl(run);
  let k = 0;
  return html`<h1>${run.meta.commandLine}</h1>
<p><span id="run-state" class="state ${run.status.state}">${run.status.state}</span>${duration ? ` · ${duration}` : ""} · ${where}${check ? html` · <a class="check-run" href="${check}">check run ${run.meta.checkName}</a>` : ""} · requested by ${run.meta.requester} · commit <code>${run.meta.headSha.slice(0, 12)}</code> · PipelineRun <code>${namespace}/${name}</code></p>
${run.status.message ? html`<p class="note">${run.status.message}</p>` : ""}
${image ? html`<p>Image: <code>${image}</code></p>` : ""}
${run.status.results.length ? html`<table><tr><th>result</th><th>value</th></tr>${run.status.results.map((r) => html`<tr><td>${r.name}</td><td><code>${r.value}</code></td></tr>`)}</table>` : ""}
${clusterNote}
<h2>Tasks</h2>
${tasks.length === 0 ? html`<p class="note">No task has started yet.</p>` : ""}
${tasks.map(
  (t) => html`<section><h3>${t.name} <span class="state ${t.state}">${t.state}</span>${durationNote(took(t.startedAt, t.completedAt, finished))}</h3>
${t.steps.map((step) => {
  const s = steps[k++]!;
  return html`<details ${s.state === "failed" || t.state === "failed" || !finished ? "open" : ""}><summary>step ${s.step} — ${s.state}${durationNote(took(step.startedAt, step.finishedAt, finished))}</summary>${stepLog(s)}</details>`;
})}</section>`,
)}
${finished ? "" : followScript(steps.length)}`;
}

const durationNote = (text: string): SafeHtml => (text ? html` <span class="duration note">${text}</span>` : html``);

function stepLog(step: StepView): SafeHtml {
  const note = step.note ? html`<p class="note">${step.note}</p>` : "";
  if (step.text === undefined) return html`${note}${step.note ? "" : html`<p class="note">This step's log is not available: its pod is gone or has not started.</p>`}<pre id="log-${step.id}" hidden></pre>`;
  return html`${note}<pre id="log-${step.id}">${step.text || "(empty)"}</pre>`;
}

/** Follows a running run: polls logs.json every 2 s, updates each step's log, reloads when steps appear or it ends. */
function followScript(stepCount: number): SafeHtml {
  return html`<script>
(() => {
  const url = location.pathname + "/logs.json" + location.search;
  const tick = async () => {
    try {
      const data = await (await fetch(url, { cache: "no-store" })).json();
      if (data.finished || data.steps.length !== ${String(stepCount)}) return location.reload();
      document.getElementById("run-state").textContent = data.state;
      for (const s of data.steps) {
        const el = document.getElementById("log-" + s.id);
        if (el && typeof s.text === "string" && el.textContent !== s.text) { el.hidden = false; el.textContent = s.text || "(empty)"; }
      }
    } catch {}
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
})();
</script>`;
}
