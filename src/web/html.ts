/** HTML for text from GitHub, Slack or the cluster: always escaped, so nothing a user or a log writes becomes markup. */
import { AsyncLocalStorage } from "node:async_hooks";
import { isHttpUrl } from "../text/http-url.js";

const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => entities[c]!);
}

/** A tagged template that escapes every interpolated value unless it is already `SafeHtml`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? "");
  });
  return new SafeHtml(out);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === undefined || value === null || value === false) return "";
  return escapeHtml(value);
}

/**
 * A link to somewhere else (a PR, a branch), or just the text when the address is not http(s): addresses that come
 * from the cluster (a run's annotations) must never become `javascript:` or `data:` links.
 */
export function externalLink(url: string, text: SafeHtml): SafeHtml {
  return isHttpUrl(url) ? html`<a href="${url}">${text}</a>` : text;
}

/** What every page of one server shows around its content (set per request by createHttpServer). */
export interface PageChrome {
  /** A notice at the top of every page, e.g. that GitHub, Slack and the cluster are simulated (the sandbox). */
  banner?: string;
}

const chrome = new AsyncLocalStorage<PageChrome>();

/** Renders the pages of one request with `pageChrome`, without passing it through every route. */
export function withPageChrome<T>(pageChrome: PageChrome, fn: () => T): T {
  return chrome.run(pageChrome, fn);
}

export function page(title: string, body: SafeHtml): string {
  const banner = chrome.getStore()?.banner;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · mario</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#24292f;color:#fff;padding:10px 20px}header a{color:#fff;text-decoration:none;font-weight:600}
main{max-width:1100px;margin:20px auto;padding:0 20px}
table{border-collapse:collapse;width:100%;background:#fff}td,th{border:1px solid #d0d7de;padding:6px 8px;text-align:left}
pre{background:#0d1117;color:#e6edf3;padding:10px;overflow:auto;max-height:600px;white-space:pre-wrap;word-break:break-all}
.state{font-weight:600}.succeeded{color:#1a7f37}.failed,.create-failed,.timed-out{color:#cf222e}.running{color:#9a6700}
details{background:#fff;border:1px solid #d0d7de;margin:8px 0;padding:6px 10px}summary{cursor:pointer}
.note{color:#57606a}.banner{background:#fff8c5;border-bottom:1px solid #d4a72c;padding:8px 20px;margin:0}
</style></head>
<body><header><a href="/">mario</a></header>${banner ? html`<p class="banner" role="note">${banner}</p>` : ""}<main>${body}</main></body></html>`.value;
}
