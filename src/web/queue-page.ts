import type { HistoryEntry, PoolStore, PoolView } from "../merge-queue/pool-store.js";
import { parsePoolId, poolId } from "../merge-queue/pool-types.js";
import { html, page, type SafeHtml } from "./html.js";
import { getRoute, send, type Route } from "./http-server.js";
import type { PoolVisibility } from "./queue-api.js";

export interface QueuePageDeps {
  store: PoolStore;
  /** Whether the merge queue runs here; the empty state says how to turn it on when it does not. */
  enabled: boolean;
  /** Labels a PR needs to enter the queue, named in the empty state. */
  requiredLabels: string[];
  visible?: PoolVisibility;
}

const historyShown = 50;
const short = (sha: string | undefined) => (sha ? sha.slice(0, 7) : "");
const poolPath = (id: string) => {
  const p = parsePoolId(id);
  return p ? `/queue/${encodeURIComponent(p.owner)}/${encodeURIComponent(p.repo)}/${p.branch.split("/").map(encodeURIComponent).join("/")}` : "/queue";
};

/**
 * `GET /queue`: every merge pool — the batches in flight, the PRs in line with their position, the PRs still
 * missing something (the one thing), and the latest history. `GET /queue/<org>/<repo>/<branch>`: one pool with
 * a longer history. Reads the same pool views as `/api/queue`, written by the queue's driver after each sync.
 * While Redis does not answer, mario.ts bounds these pages with the 503 page of redis-bound.ts.
 */
export function queuePageRoutes(deps: QueuePageDeps): Route[] {
  const visible = deps.visible ?? (async () => true);
  return [
    getRoute(/^\/queue\/?$/, async (_m, _req, res) => {
      const pools: { view: PoolView; history: HistoryEntry[] }[] = [];
      for (const id of await deps.store.pools()) {
        const view = await deps.store.view(id);
        const key = parsePoolId(id);
        if (view && key && (await visible(id))) pools.push({ view, history: await deps.store.history(key, 10) });
      }
      const body = html`<h1>Merge queue</h1>
${pools.length === 0 ? emptyState(deps) : pools.map((p) => poolSection(p.view, p.history, true))}
<p class="note">Also as JSON: <a href="/api/queue">/api/queue</a>.</p>`;
      send(res, 200, "text/html; charset=utf-8", page("Merge queue", body));
    }),
    getRoute(/^\/queue\/([^/]+)\/([^/]+)\/(.+)$/, async (m, _req, res) => {
      let owner: string, repo: string, branch: string;
      try {
        [owner, repo, branch] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
      } catch {
        return send(res, 400, "text/html; charset=utf-8", page("Bad pool name", html`<h1>Bad pool name</h1><p class="note">The address is not a valid /queue/&lt;org&gt;/&lt;repo&gt;/&lt;branch&gt;.</p>`));
      }
      const id = poolId({ owner, repo, branch });
      const view = (await visible(id)) ? await deps.store.view(id) : undefined;
      const history = view ? await deps.store.history({ owner, repo, branch }, 200) : [];
      if (!view) {
        const body = html`<h1>No merge pool ${id}</h1><p class="note">mario has not seen a PR for ${branch} in ${owner}/${repo} yet, or the queue does not cover this branch. <a href="/queue">All pools</a>.</p>`;
        return send(res, 404, "text/html; charset=utf-8", page("Merge pool not found", body));
      }
      const body = html`<p><a href="/queue">← all pools</a></p>${poolSection(view, history, false)}
<p class="note">Also as JSON: <a href="${`/api${poolPath(id)}`}">/api${poolPath(id)}</a>.</p>`;
      send(res, 200, "text/html; charset=utf-8", page(`Merge pool ${id}`, body));
    }),
  ];
}

function emptyState(deps: QueuePageDeps): SafeHtml {
  if (!deps.enabled) return html`<p class="note">No pools: the merge queue is off here. Set <code>mergeQueue.enabled: true</code> in <code>config/mario.yaml</code> to let mario merge PRs.</p>`;
  return html`<p class="note">No pools yet — a pool appears when a pull request of a repository mario is installed on changes (opened, labelled, pushed). PRs enter the queue with the labels ${deps.requiredLabels.map((l, i) => html`${i > 0 ? ", " : ""}<code>${l}</code>`)} and green required checks.</p>`;
}

function poolSection(view: PoolView, history: HistoryEntry[], summary: boolean): SafeHtml {
  const title = summary ? html`<a href="${poolPath(view.pool)}">${view.pool}</a>` : view.pool;
  return html`<section class="pool" data-pool="${view.pool}">
<h2>${title}</h2>
<p class="note">Base <code>${short(view.baseSha)}</code> · ${view.queue.length} in line · ${view.waiting.length} not ready · updated <time datetime="${view.updatedAt}">${view.updatedAt.replace("T", " ").slice(0, 19)}</time></p>
${view.stopped ? html`<p class="state failed">Stopped: ${view.stopped}</p>` : ""}
<h3>In flight</h3>
${view.inFlight.length === 0
  ? html`<p class="note">Nothing being tested.</p>`
  : html`<table class="in-flight"><tr><th>batch</th><th>PRs (in merge order)</th><th>staging commit</th><th>state</th><th>started</th></tr>
${view.inFlight.map((r) => html`<tr><td>${r.id}</td><td>${r.prs.map((n) => `#${n}`).join(" + ")}</td><td><code>${short(r.sha)}</code></td><td><span class="state ${r.state === "passed" ? "succeeded" : r.state === "failed" ? "failed" : "running"}">${r.state}</span></td><td>${r.startedAt.replace("T", " ").slice(0, 19)}</td></tr>`)}</table>`}
<h3>In line</h3>
${view.queue.length === 0
  ? html`<p class="note">No PR is ready to merge.</p>`
  : html`<table class="in-line"><tr><th>position</th><th>PR</th><th>head</th><th>batch</th><th>status</th></tr>
${view.queue.map((q) => html`<tr><td>${q.position}</td><td>#${q.number}</td><td><code>${short(q.sha)}</code></td><td>${q.batch}</td><td>${q.testing ? "being tested" : "waiting for a run"}</td></tr>`)}</table>`}
<h3>Not ready</h3>
${view.waiting.length === 0
  ? html`<p class="note">Every open PR is in line.</p>`
  : html`<table class="waiting"><tr><th>PR</th><th>head</th><th>missing</th></tr>
${view.waiting.map((w) => html`<tr><td>#${w.number}</td><td><code>${short(w.sha)}</code></td><td><span class="state ${w.state === "failure" || w.state === "error" ? "failed" : ""}">${w.missing || "—"}</span></td></tr>`)}</table>`}
<h3>History</h3>
${history.length === 0
  ? html`<p class="note">Nothing happened yet.</p>`
  : html`<table class="history"><tr><th>when</th><th>what</th><th>PRs</th><th>detail</th></tr>
${history.slice(0, historyShown).map((h) => html`<tr><td><time datetime="${h.at}">${h.at.replace("T", " ").slice(0, 19)}</time></td><td><span class="state ${h.action === "merged" ? "succeeded" : h.action === "failed" || h.action === "removed" ? "failed" : ""}">${h.action}</span></td><td>${h.prs.map((n) => `#${n}`).join(" ")}</td><td>${h.detail}</td></tr>`)}</table>`}
${summary && history.length > 0 ? html`<p class="note"><a href="${poolPath(view.pool)}">Full history</a></p>` : ""}
</section>`;
}
