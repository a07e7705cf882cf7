import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { withPageChrome, type PageChrome } from "./html.js";

/** A route answers the request and returns true, or returns false to let the next one try. */
export type Route = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export function createHttpServer(routes: Route[], log: { error(o: object, m: string): void }, chrome: PageChrome = {}): Server {
  return createServer((req, res) => withPageChrome(chrome, () => answer(routes, log, req, res)));
}

async function answer(routes: Route[], log: { error(o: object, m: string): void }, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    for (const route of routes) if (await route(req, res)) return;
    send(res, 404, "text/plain; charset=utf-8", "Not found\n");
  } catch (error) {
    log.error({ err: error, url: req.url }, "request failed");
    if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "Internal error\n");
    else res.end();
  }
}

export function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(body);
}

export function getRoute(pattern: RegExp, handler: (match: RegExpExecArray, req: IncomingMessage, res: ServerResponse) => Promise<void> | void): Route {
  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = new URL(req.url ?? "/", "http://mario").pathname;
    const match = pattern.exec(path);
    if (!match) return false;
    await handler(match, req, res);
    return true;
  };
}
