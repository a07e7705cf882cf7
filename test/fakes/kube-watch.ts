/**
 * Watch streams: newline-delimited JSON `{type, object}` events on a chunked 200 response, like the API server.
 *
 * - No `resourceVersion` (or "0"): synthetic ADDED events for the current objects, then live events.
 * - `resourceVersion=N`: replays the kept history after N, then live events; if N is older than the history kept,
 *   one ERROR event carrying a 410 "Expired" Status, then the stream ends.
 * - Label/field selectors apply to the object before and after each change: an object that stops matching is
 *   sent as DELETED, one that starts matching as ADDED (as the API server's watch cache does).
 * - `allowWatchBookmarks=true`: BOOKMARK events every `bookmarkIntervalMs`, and after the initial events when
 *   `sendInitialEvents=true` (annotated `k8s.io/initial-events-end: "true"`).
 * - `timeoutSeconds`: the stream ends cleanly after that long.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { matchesFilter, type ObjectFilter } from "./kube-label-selector.js";
import { failure, httpError, type KubeObject, type ResourceDef } from "./kube-resources.js";
import type { KubeStore, StoreEvent } from "./kube-store.js";

export interface WatchRequest {
  def: ResourceDef;
  /** undefined: all namespaces. */
  namespace: string | undefined;
  filter: ObjectFilter;
  resourceVersion: string | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number | undefined;
}

type WireType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

interface Watcher {
  request: WatchRequest;
  res: ServerResponse;
  timers: NodeJS.Timeout[];
  closed: boolean;
}

export function parseResourceVersion(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (!/^\d+$/.test(value)) throw httpError(400, `invalid resource version: "${value}"`, "BadRequest");
  return Number(value);
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  /** Events written while the streams are held back (see `hold`), in order. */
  private held: (() => void)[] | undefined;

  constructor(
    private readonly store: KubeStore,
    private readonly bookmarkIntervalMs: number,
  ) {
    store.onEvent((event) => {
      for (const watcher of this.watchers) this.deliver(watcher, event);
    });
  }

  get openCount(): number {
    return this.watchers.size;
  }

  /** Validates the request (throwing `KubeHttpError` before any byte is sent), then streams until closed. */
  serve(req: IncomingMessage, res: ServerResponse, request: WatchRequest): void {
    const rv = parseResourceVersion(request.resourceVersion);
    res.writeHead(200, {
      "Content-Type": "application/json",
      "Cache-Control": "no-cache, private",
      "Transfer-Encoding": "chunked",
    });
    res.flushHeaders();
    const watcher: Watcher = { request, res, timers: [], closed: false };
    const cleanup = () => this.forget(watcher);
    req.on("close", cleanup);
    res.on("close", cleanup);

    if (rv === undefined || rv === 0) {
      for (const obj of this.store.list(request.def.resource, request.namespace)) {
        if (matchesFilter(request.filter, obj)) this.write(watcher, "ADDED", obj);
      }
      if (request.sendInitialEvents && request.allowBookmarks) this.bookmark(watcher, true);
    } else {
      const missed = this.store.eventsSince(rv);
      if (!missed) {
        const status = failure(
          410,
          `too old resource version: ${rv} (${this.store.oldestResumable + 1})`,
          "Expired",
        );
        this.write(watcher, "ERROR", status);
        res.end();
        return;
      }
      for (const event of missed) this.deliver(watcher, event);
    }

    this.watchers.add(watcher);
    if (request.allowBookmarks && this.bookmarkIntervalMs > 0) {
      const timer = setInterval(() => this.bookmark(watcher, false), this.bookmarkIntervalMs);
      timer.unref();
      watcher.timers.push(timer);
    }
    if (request.timeoutSeconds !== undefined && request.timeoutSeconds > 0) {
      const timer = setTimeout(() => this.end(watcher), request.timeoutSeconds * 1000);
      timer.unref();
      watcher.timers.push(timer);
    }
  }

  /** Holds back what every stream would send (kept in order) until the returned function is called: a lagging watch. */
  hold(): () => void {
    const held: (() => void)[] = (this.held ??= []);
    return () => {
      if (this.held === held) this.held = undefined;
      for (const send of held.splice(0)) send();
    };
  }

  /** Ends every stream abruptly (socket destroyed, no final chunk): the client sees a broken connection. */
  dropAll(): void {
    for (const watcher of [...this.watchers]) {
      this.forget(watcher);
      watcher.res.socket?.destroy();
      watcher.res.destroy();
    }
  }

  /** Ends every stream cleanly (final chunk sent). */
  endAll(): void {
    for (const watcher of [...this.watchers]) this.end(watcher);
  }

  private end(watcher: Watcher): void {
    this.forget(watcher);
    if (!watcher.res.writableEnded) watcher.res.end();
  }

  private forget(watcher: Watcher): void {
    if (watcher.closed) return;
    watcher.closed = true;
    for (const timer of watcher.timers) clearTimeout(timer);
    this.watchers.delete(watcher);
  }

  private deliver(watcher: Watcher, event: StoreEvent): void {
    const { def, namespace, filter } = watcher.request;
    if (event.resource !== def.resource) return;
    if (namespace !== undefined && event.object.metadata.namespace !== namespace) return;
    const now = matchesFilter(filter, event.object);
    switch (event.type) {
      case "ADDED":
        if (now) this.write(watcher, "ADDED", event.object);
        break;
      case "DELETED":
        if (now) this.write(watcher, "DELETED", event.object);
        break;
      case "MODIFIED": {
        const before = event.previous ? matchesFilter(filter, event.previous) : true;
        if (before && now) this.write(watcher, "MODIFIED", event.object);
        else if (before) this.write(watcher, "DELETED", event.object);
        else if (now) this.write(watcher, "ADDED", event.object);
        break;
      }
    }
  }

  private bookmark(watcher: Watcher, initialEventsEnd: boolean): void {
    const object: KubeObject = {
      kind: watcher.request.def.kind,
      apiVersion: watcher.request.def.apiVersion,
      metadata: {
        name: "",
        resourceVersion: String(this.store.resourceVersion),
        ...(initialEventsEnd ? { annotations: { "k8s.io/initial-events-end": "true" } } : {}),
      },
    };
    delete (object.metadata as { name?: string }).name;
    this.write(watcher, "BOOKMARK", object);
  }

  private write(watcher: Watcher, type: WireType, object: unknown): void {
    const line = JSON.stringify({ type, object }) + "\n";
    const send = () => {
      if (watcher.res.writableEnded || watcher.res.destroyed) return;
      watcher.res.write(line);
    };
    if (this.held) this.held.push(send);
    else send();
  }
}
