import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { escapeHtml, html, page, SafeHtml } from "../src/web/html.js";
import { sendWebhook, type FakeGitHub } from "../test/fakes/fake-github.js";
import { pullRequestEvent } from "./sandbox-events.js";

export interface DemoUser {
  login: string;
  role: string;
}

export interface SandboxPageOptions {
  github: FakeGitHub;
  repo: string;
  users: DemoUser[];
  marioUrl: string;
  webhookSecret: string;
  /** Extra panes (the Slack channel, when Slack is simulated). */
  panes?: () => SafeHtml[];
  /** Sends `/mario <text>` as a demo user through the simulated Slack (when Slack is simulated). */
  slash?: (user: string, text: string) => Promise<void>;
}

interface TimelineEvent {
  pr: number;
  user: string;
  what: string;
  at: string;
}

type PageView = SandboxPageOptions & { timeline: TimelineEvent[] };

const quickCommands = ["/build image tag=mario", "/build image tag=fail-demo", "/help", "/lgtm", "/approve", "/hold", "/retest"];
const labels = ["lgtm", "approved", "do-not-merge/hold"];

/**
 * The sandbox's own page: act as a demo user on the simulated GitHub (comment, label, push) and watch what mario
 * does. It only talks to the loopback fakes; mario sees ordinary signed webhooks.
 */
export async function startSandboxPage(opts: SandboxPageOptions, port = 0): Promise<{ url: string; server: Server }> {
  const { github, repo } = opts;
  const deliver = (name: string, payload: unknown) => sendWebhook(`${opts.marioUrl}/api/github/webhooks`, { name, payload, secret: opts.webhookSecret });
  // What demo users did besides commenting, shown in the PR's conversation like GitHub's timeline.
  const timeline: TimelineEvent[] = [];
  const remember = (pr: number, user: string, what: string) => {
    timeline.push({ pr, user, what, at: new Date().toISOString() });
    if (timeline.length > 200) timeline.shift();
  };
  const view: PageView = { ...opts, timeline };

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://sandbox");
      const pr = Number(url.searchParams.get("pr") ?? github.state.pullRequests(repo)[0]?.number ?? 1);
      const as = opts.users.find((u) => u.login === url.searchParams.get("as"))?.login ?? opts.users[0]!.login;
      if (req.method === "GET" && url.pathname === "/") return send(res, 200, pageHtml(view, pr, as));
      if (req.method === "GET" && url.pathname === "/fragment") return send(res, 200, prPane(view, pr).value);
      if (req.method === "GET" && url.pathname === "/panes") return send(res, 200, `<div>${(opts.panes?.() ?? []).map((p) => p.value).join("")}</div>`);
      if (req.method === "POST") {
        const form = new URLSearchParams(await body(req));
        const n = Number(form.get("pr"));
        const user = opts.users.find((u) => u.login === form.get("user"))?.login ?? opts.users[0]!.login;
        if (!github.state.findPullRequest(repo, n)) return send(res, 404, "no such pull request");
        if (url.pathname === "/comment") {
          const text = (form.get("body") ?? "").replace(/\r\n/g, "\n");
          await deliver("issue_comment", github.issueCommentEvent({ repo, prNumber: n, user, body: text, installationId: 1 }));
        } else if (url.pathname === "/label") {
          const label = form.get("label") ?? "";
          const record = github.state.pullRequest(repo, n);
          // The label buttons share the comment form (and its user); their formaction says add or remove.
          const add = (form.get("op") ?? url.searchParams.get("op")) !== "remove";
          github.state.addLabel(repo, label);
          record.labels = add ? [...new Set([...record.labels, label])] : record.labels.filter((l) => l !== label);
          record.updatedAt = github.state.now(); // as GitHub does: the payload's updated_at orders the PR's events
          await deliver("pull_request", pullRequestEvent(github, repo, n, add ? "labeled" : "unlabeled", user, { label: { name: label, color: "ededed" } }));
          remember(n, user, `${add ? "added" : "removed"} the label ${label}`);
        } else if (url.pathname === "/slash" && opts.slash) {
          await opts.slash(user, (form.get("text") ?? "").trim());
        } else if (url.pathname === "/push") {
          const before = github.state.pullRequest(repo, n).head.sha;
          github.state.pushToPullRequest(repo, n);
          await deliver("pull_request", pullRequestEvent(github, repo, n, "synchronize", user, { before, after: github.state.pullRequest(repo, n).head.sha }));
          remember(n, user, `pushed commit ${github.state.pullRequest(repo, n).head.sha.slice(0, 7)}`);
        } else return send(res, 404, "not found");
        res.writeHead(303, { location: `/?pr=${n}&as=${encodeURIComponent(user)}` }).end();
        return;
      }
      send(res, 404, "not found");
    } catch (error) {
      send(res, 500, `sandbox error: ${(error as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      text += c;
      if (text.length > 256 * 1024) req.destroy();
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

function send(res: import("node:http").ServerResponse, status: number, text: string) {
  res.writeHead(status, { "content-type": status === 200 && text.startsWith("<") ? "text/html; charset=utf-8" : "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(text);
}

function pageHtml(opts: PageView, pr: number, as: string): string {
  const prs = opts.github.state.pullRequests(opts.repo);
  const userOptions = opts.users.map((u) => html`<option value="${u.login}" ${u.login === as ? "selected" : ""}>${u.login} (${u.role})</option>`);
  const body = html`<p class="banner">SANDBOX — GitHub, Slack and the Kubernetes cluster are <strong>simulated</strong> on this machine. Nothing leaves it.</p>
<p>mario: <a href="${opts.marioUrl}/">dashboard</a> · <a href="${opts.marioUrl}/queue">merge queue</a> · repository <code>${opts.repo}</code></p>
<nav>${prs.map((p) => html`<a class="${p.number === pr ? "current" : ""}" href="/?pr=${p.number}&amp;as=${encodeURIComponent(as)}">#${p.number} ${p.title}</a> `)}</nav>
<div class="cols"><section>
<h2>Act as a demo user</h2>
<form method="post" action="/comment" id="comment-form"><input type="hidden" name="pr" value="${pr}">
<label>as <select name="user">${userOptions}</select></label>
<textarea name="body" rows="4" placeholder="/build image tag=mario">${quickCommands[0]}</textarea>
<div>${quickCommands.map((c) => html`<button type="button" class="quick" data-command="${c}">${c}</button> `)}</div>
<p><button type="submit" id="comment-button">Comment on #${pr}</button></p>
<p>As the same user: <button type="submit" formaction="/push" id="push-button">Push a commit to #${pr}</button></p>
<p>${labels.map((l) => html`<button type="submit" name="label" value="${l}" formaction="/label?op=add">+ ${l}</button> `)}</p>
<p>${labels.map((l) => html`<button type="submit" name="label" value="${l}" formaction="/label?op=remove">− ${l}</button> `)}</p>
</form>
${opts.slash
  ? html`<form method="post" action="/slash" id="slash-form"><input type="hidden" name="pr" value="${pr}">
<label>in Slack as <select name="user">${userOptions}</select></label>
<label>/mario <input name="text" value="queue" size="28"></label> <button type="submit">Send</button></form>`
  : ""}
<div id="panes">${(opts.panes?.() ?? [])}</div>
</section><section id="pr-pane">${prPane(opts, pr)}</section></div>
<style>.banner{background:#fff8c5;border:1px solid #d4a72c;padding:8px}.cols{display:grid;grid-template-columns:minmax(300px,1fr) 2fr;gap:24px}textarea{width:100%;font-family:monospace}
nav a{margin-right:10px}nav a.current{font-weight:700}.comment{background:#fff;border:1px solid #d0d7de;padding:8px;margin:8px 0;white-space:pre-wrap}form{margin:8px 0}
.event{color:#57606a;margin:6px 0 6px 8px}.slack-message,.slack-command{background:#fff;border-left:3px solid #4a154b;padding:6px 8px;margin:6px 0;white-space:pre-wrap}.slack-answer{color:#57606a;margin-top:4px}</style>
<script>
document.querySelectorAll("button.quick").forEach(b => b.addEventListener("click", () => { document.querySelector("#comment-form textarea").value = b.dataset.command; }));
setInterval(async () => { const p = document.getElementById("panes"); if (!p || !p.childElementCount) return; const r = await fetch("/panes"); if (r.ok) p.innerHTML = await r.text(); }, 2000);
setInterval(async () => { const r = await fetch("/fragment?pr=${pr}"); if (r.ok) document.getElementById("pr-pane").innerHTML = await r.text(); }, 1500);
</script>`;
  return page(`Sandbox #${pr}`, body);
}

function prPane(opts: PageView, n: number): SafeHtml {
  const pr = opts.github.state.findPullRequest(opts.repo, n);
  if (!pr) return html`<p>No pull request #${n}.</p>`;
  const checks = opts.github.state.checkRuns(opts.repo, pr.head.sha);
  const statuses = opts.github.state.statuses(opts.repo, pr.head.sha);
  const comments = opts.github.state.comments(opts.repo, n);
  return html`<h2>#${pr.number} ${pr.title} <small>by ${pr.user.login} · ${pr.merged ? "merged" : pr.state} · head <code>${pr.head.sha.slice(0, 7)}</code></small></h2>
<p>Labels: ${pr.labels.length ? pr.labels.map((l) => html`<code>${l}</code> `) : "none"}</p>
<h3>Checks</h3>
${checks.length + statuses.length === 0 ? html`<p class="note">No checks yet.</p>` : ""}
<table>${checks.map((c) => html`<tr class="check"><td>${c.name}</td><td>${c.status}${c.conclusion ? ` · ${c.conclusion}` : ""}</td><td>${c.output.title ?? ""}</td><td>${c.detailsUrl ? html`<a href="${c.detailsUrl}">details</a>` : ""}</td></tr>`)}
${statuses.map((s) => html`<tr class="status"><td>${s.context}</td><td>${s.state}</td><td>${s.description ?? ""}</td><td>${s.targetUrl ? html`<a href="${s.targetUrl}">details</a>` : ""}</td></tr>`)}</table>
<h3>Conversation</h3>
${[
  ...comments.map((c) => ({ at: c.createdAt, item: html`<div class="comment"><strong>${c.user.login}</strong>: ${markdownLite(c.body)}</div>` })),
  ...opts.timeline.filter((e) => e.pr === n).map((e) => ({ at: e.at, item: html`<div class="event"><strong>${e.user}</strong> ${e.what}</div>` })),
]
  .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
  .map((x) => x.item)}`;
}

/** Enough Markdown to read mario's comments in the sandbox: escaped first, then bold, code and links. */
function markdownLite(text: string): SafeHtml {
  const escaped = escapeHtml(text.replace(/<!--[\s\S]*?-->\n?/g, ""));
  return new SafeHtml(
    escaped
      .replace(/`{3,}text\n([\s\S]*?)\n`{3,}/g, "<pre>$1</pre>")
      .replace(/`([^`\n]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>")
      .replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2">$1</a>'),
  );
}
