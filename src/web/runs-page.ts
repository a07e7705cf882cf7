import { repoFullName } from "../github/repo-full-name.js";
import type { RunStore } from "../runs/run-store.js";
import type { RunRecord } from "../runs/run-record.js";
import type { RunState } from "../runs/run-status.js";
import { runTarget } from "../runs/run-target.js";
import { formatDuration } from "../text/markdown.js";
import { externalLink, html, page } from "./html.js";
import { getRoute, send, type Route } from "./http-server.js";

const shown = 100;

/** Every state a run can be in, in the order a run passes through them (a Record, so a new state cannot be missed). */
const everyState: Record<RunState, true> = {
  creating: true,
  "waiting-for-cluster": true,
  "create-failed": true,
  pending: true,
  queued: true,
  running: true,
  succeeded: true,
  failed: true,
  cancelled: true,
  "timed-out": true,
  deleted: true,
};
const states = Object.keys(everyState);

/** `GET /`: recent runs, newest first, filterable by repo, PR and state (`/?repo=org/name&pr=12&state=failed`). */
export function runsPageRoute(deps: { store: RunStore }): Route {
  return getRoute(/^\/$/, async (_m, req, res) => {
    const query = new URL(req.url ?? "/", "http://mario").searchParams;
    const filter = { repo: query.get("repo") ?? "", pr: query.get("pr") ?? "", state: query.get("state") ?? "" };
    const recent = await deps.store.recent(1000);
    // Runs of private repositories carry a signed log token; only their links (posted where the repo's readers
    // are) open them, so the public list leaves them out rather than leaking names and command lines.
    const hidden = recent.filter((r) => r.meta.logToken).length;
    const runs = recent.filter((r) => !r.meta.logToken).filter(
      (r) =>
        (!filter.repo || repoFullName(r.meta.repo) === filter.repo) &&
        (!filter.pr || String(r.meta.pr) === filter.pr) &&
        (!filter.state || r.status.state === filter.state),
    );
    const filtered = Boolean(filter.repo || filter.pr || filter.state);
    const body = html`<h1>Recent runs</h1>
<form method="get" class="filters">
<label>repository <input name="repo" value="${filter.repo}" placeholder="org/name"></label>
<label>PR <input name="pr" value="${filter.pr}" size="6" inputmode="numeric"></label>
<label>state <select name="state"><option value="">any</option>${states.map(
      (s) => html`<option ${s === filter.state ? "selected" : ""}>${s}</option>`,
    )}</select></label>
<button>Filter</button>${filtered ? html` <a href="/">clear</a>` : ""}</form>
${hidden ? html`<p class="note">${hidden} run${hidden === 1 ? "" : "s"} of private repositories ${hidden === 1 ? "is" : "are"} not listed here; the links mario posted on their pull requests open them.</p>` : ""}
${runs.length === 0
  ? hidden && !filtered ? "" : html`<p class="note">${filtered ? "No run matches these filters." : "No runs yet. Comment /build image on a pull request, or push to one with presubmit jobs."}</p>`
  : html`<table class="runs"><tr><th>repository</th><th>PR or branch</th><th>command or job</th><th>who</th><th>state</th><th>duration</th><th>started</th></tr>
${runs.slice(0, shown).map(row)}</table>${runs.length > shown ? html`<p class="note">Showing the newest ${shown} of ${runs.length}.</p>` : ""}`}`;
    send(res, 200, "text/html; charset=utf-8", page("Runs", body));
  });
}

function row(run: RunRecord) {
  const { meta, status } = run;
  const took = status.startedAt && status.completedAt ? formatDuration(Date.parse(status.completedAt) - Date.parse(status.startedAt)) : "";
  const repo = repoFullName(meta.repo);
  // The repository has its own column.
  const target = runTarget(meta, { repo: false });
  const where = externalLink(target.url ?? "", html`${target.label}`);
  return html`<tr><td><a href="/?repo=${encodeURIComponent(repo)}">${repo}</a></td><td>${where}</td>
<td><a href="/runs/${meta.namespace}/${meta.name}">${meta.commandLine}</a></td><td>${meta.requester}</td>
<td><span class="state ${status.state}">${status.state}</span></td><td>${took}</td><td><time datetime="${meta.createdAt}">${meta.createdAt.replace("T", " ").slice(0, 19)}</time></td></tr>`;
}
