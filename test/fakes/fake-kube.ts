/**
 * A fake Kubernetes API server on 127.0.0.1 (random port) speaking real HTTP, good enough for the real
 * `@kubernetes/client-node` (CustomObjectsApi, CoreV1Api, Watch, Log): Tekton v1 PipelineRuns and TaskRuns,
 * core/v1 pods and their logs, with helpers that let a test play Tekton's controller and inject faults.
 *
 * Behaviour worth knowing:
 * - Every request needs `Authorization: Bearer <anything>` (401 otherwise), except /healthz, /readyz, /livez
 *   and /version. `kubeConfig()` supplies one.
 * - `setDown(true)`: every request is answered 503 ServiceUnavailable (a `Status` body), and open watch and
 *   log-follow streams are cut abruptly. `setDown(false)` restores service; state is kept.
 * - `failNext` rules are checked in the order added, after `setDown`; `path` is tested against the URL path
 *   and then against path + query string. Requests answered by a rule change nothing.
 * - `requests` records every request when it arrives; `status` is 0 until the response head is sent (a
 *   `hang` fault stays 0).
 * - API writes see Tekton's reactions (pending, cancel, cascade delete) immediately after the write, as
 *   separate MODIFIED/DELETED events; the write's own response shows the object as written.
 * See kube-watch.ts, kube-logs.ts and kube-tekton.ts for watch, log and controller details.
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { isPublicPath, KubeApi, sendJson } from "./kube-http.js";
import { LogStore } from "./kube-logs.js";
import { failure, KubeHttpError, reasonForCode } from "./kube-resources.js";
import { KubeStore, type StoreEvent } from "./kube-store.js";
import { TektonSim, type RunOutcome, type SimTask } from "./kube-tekton.js";
import { WatchHub } from "./kube-watch.js";

export type { RunOutcome, SimTask } from "./kube-tekton.js";

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** 0 until the response head is sent. */
  status: number;
  at: number;
  /** `metadata.name` of the object a POST creates (set once its body was read). */
  name?: string;
}

export interface FaultMatch {
  method?: string;
  path?: RegExp;
}

export interface FaultResponse {
  status: number;
  /** Default: a `Status` object for `status`. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (until the client gives up or the server closes). */
  hang?: boolean;
}

export interface FakeKubeOptions {
  /** Watch events kept for resuming; older resourceVersions answer 410 Expired. Default 1000. */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches with `allowWatchBookmarks=true`. Default 1000 ms; 0 = never. */
  bookmarkIntervalMs?: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- objects are free-form JSON for tests to inspect */
export interface FakeKube {
  url: string;
  /** A fresh, real KubeConfig pointing at this server (plain http, `skipTLSVerify: true`, a bearer token). */
  kubeConfig(): KubeConfig;
  pipelineRuns(ns?: string): any[];
  getPipelineRun(ns: string, name: string): any | undefined;
  taskRuns(ns?: string): any[];
  pods(ns?: string): any[];
  requests: RecordedRequest[];

  /** Creates TaskRuns (`<run>-<task>`), pods (`<run>-<task>-pod`, containers `step-<step>`); run → Unknown/Running. */
  startRun(ns: string, name: string, opts?: { tasks?: SimTask[] }): void;
  appendLog(ns: string, pod: string, container: string, text: string): void;
  finishTask(ns: string, run: string, task: string, outcome: "Succeeded" | "Failed"): void;
  finishRun(ns: string, name: string, outcome: RunOutcome): void;
  deletePods(ns: string, runName?: string): void;
  deletePipelineRun(ns: string, name: string): void;
  /** Creates (or replaces) an Opaque Secret; values are given in clear text and stored base64-encoded. */
  addSecret(ns: string, name: string, values: Record<string, string>): void;

  failNext(match: FaultMatch, response: FaultResponse, times?: number): void;
  /**
   * The next matching request is served as usual (a write happens and watchers see it at once), but its
   * response is held back until the returned `release()` — a slow network between the client and the API server.
   */
  holdResponse(match: FaultMatch): () => void;
  setDown(down: boolean): void;
  /**
   * Watch streams stay open but send nothing until the returned `release()`, then everything held, in order: a
   * watch lagging behind the API server's writes.
   */
  holdWatches(): () => void;
  /**
   * Ends every open watch stream abruptly: the socket is destroyed, the client's `done` gets an error
   * ("terminated"). With `{ graceful: true }` the streams end cleanly instead (`done(null)`), like an API server
   * closing a watch at its timeout.
   */
  dropWatches(opts?: { graceful?: boolean }): void;
  /** Forgets the watch history, as an etcd compaction would: resuming from any older resourceVersion gets 410. */
  compactHistory(): void;
  /** Calls `listener` for every stored change (benchmarks time PipelineRun creation with it). */
  onEvent(listener: (event: StoreEvent) => void): void;
  close(): Promise<void>;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

interface FaultRule extends FaultMatch {
  response: FaultResponse;
  remaining: number;
}

const MAX_BODY = 3 * 1024 * 1024;
const TOKEN = "fake-kube-token";

/** Holds what the handler writes (head and body) until `gate` opens. */
function deferResponse(res: ServerResponse, gate: Promise<void>): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  let head: unknown[] | undefined;
  res.writeHead = ((...args: unknown[]) => ((head = args), res)) as typeof res.writeHead;
  res.end = ((...args: unknown[]) => {
    void gate.then(() => {
      if (res.destroyed) return;
      if (head) writeHead(...head);
      end(...args);
    });
    return res;
  }) as typeof res.end;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on("end", () => (size > MAX_BODY ? reject(new KubeHttpError(failure(413, "Request entity too large"))) : resolve(Buffer.concat(chunks))));
    req.on("error", reject);
  });
}

function createdName(body: Buffer): string | undefined {
  try {
    const name = (JSON.parse(body.toString("utf8")) as { metadata?: { name?: unknown } }).metadata?.name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

export async function startFakeKube(options: FakeKubeOptions = {}): Promise<FakeKube> {
  const store = new KubeStore(options.historyLimit ?? 1000);
  // Each store event reaches these listeners in this order; writes they make are queued as later events.
  const sim = new TektonSim(store);
  const watches = new WatchHub(store, options.bookmarkIntervalMs ?? 1000);
  const logs = new LogStore(store);
  const api = new KubeApi({ store, watches, logs });

  const requests: RecordedRequest[] = [];
  const faults: FaultRule[] = [];
  const holds: (FaultMatch & { gate: Promise<void> })[] = [];
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let down = false;

  const matches = (f: FaultMatch, method: string, url: URL) =>
    (f.method === undefined || f.method.toUpperCase() === method) && (f.path === undefined || f.path.test(url.pathname) || f.path.test(url.pathname + url.search));

  function takeFault(method: string, url: URL): FaultRule | undefined {
    const index = faults.findIndex((f) => matches(f, method, url));
    if (index < 0) return undefined;
    const rule = faults[index]!;
    if (--rule.remaining <= 0) faults.splice(index, 1);
    return rule;
  }

  function sendStatus(res: ServerResponse, error: KubeHttpError): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, error.status.code, error.status, error.headers);
  }

  async function answerFault(res: ServerResponse, rule: FaultRule): Promise<void> {
    const { status, body, delayMs, hang } = rule.response;
    if (hang) {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    if (delayMs) {
      hanging.add(res);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      hanging.delete(res);
      if (res.destroyed) return;
    }
    const headers: Record<string, string> = status === 429 ? { "Retry-After": "1" } : {};
    sendJson(res, status, body ?? failure(status, `fake-kube injected ${status}`, reasonForCode(status)), headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = (req.method ?? "GET").toUpperCase();
    const record: RecordedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, at: Date.now() };
    requests.push(record);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      record.status = args[0] as number;
      return writeHead(...args);
    }) as typeof res.writeHead;

    try {
      const body = await readBody(req);
      if (method === "POST") record.name = createdName(body);
      if (down) throw new KubeHttpError(failure(503, "the fake API server is down (setDown)", "ServiceUnavailable"));
      const rule = takeFault(method, url);
      if (rule) return await answerFault(res, rule);
      if (!isPublicPath(url.pathname) && !/^Bearer \S+/.test(req.headers.authorization ?? "")) {
        throw new KubeHttpError(failure(401, "Unauthorized", "Unauthorized"));
      }
      const hold = holds.findIndex((h) => matches(h, method, url));
      if (hold >= 0) deferResponse(res, holds.splice(hold, 1)[0]!.gate);
      api.handle({ req, res, method, url, body });
    } catch (error) {
      if (error instanceof KubeHttpError) return sendStatus(res, error);
      console.error("fake-kube: request failed", error);
      sendStatus(res, new KubeHttpError(failure(500, `fake-kube internal error: ${(error as Error).message}`)));
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    requests,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: "fake-kube", server: url, skipTLSVerify: true }],
        users: [{ name: "fake-kube-user", token: TOKEN }],
        contexts: [{ name: "fake-kube", cluster: "fake-kube", user: "fake-kube-user", namespace: "default" }],
        currentContext: "fake-kube",
      });
      return kc;
    },
    pipelineRuns: (ns) => store.list("pipelineruns", ns),
    getPipelineRun: (ns, name) => store.get("pipelineruns", ns, name),
    taskRuns: (ns) => store.list("taskruns", ns),
    pods: (ns) => store.list("pods", ns),

    startRun: (ns, name, opts) => sim.startRun(ns, name, opts),
    appendLog: (ns, pod, container, text) => logs.append(ns, pod, container, text),
    finishTask: (ns, run, task, outcome) => sim.finishTask(ns, run, task, outcome),
    finishRun: (ns, name, outcome) => sim.finishRun(ns, name, outcome),
    deletePods: (ns, runName) => sim.deletePods(ns, runName),
    deletePipelineRun: (ns, name) => sim.deletePipelineRun(ns, name),
    addSecret(ns, name, values) {
      store.delete("secrets", ns, name);
      const data = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
      store.create("secrets", { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, type: "Opaque", data });
    },

    failNext(match, response, times = 1) {
      faults.push({ ...match, response, remaining: times });
    },
    holdResponse(match) {
      let release!: () => void;
      holds.push({ ...match, gate: new Promise<void>((resolve) => (release = resolve)) });
      return release;
    },
    setDown(value) {
      down = value;
      if (value) {
        watches.dropAll();
        logs.dropAllFollowers();
      }
    },
    holdWatches: () => watches.hold(),
    dropWatches: (opts) => (opts?.graceful ? watches.endAll() : watches.dropAll()),
    compactHistory: () => store.compact(),
    onEvent: (listener) => store.onEvent(listener),
    async close() {
      watches.endAll();
      logs.endAllFollowers();
      for (const res of hanging) res.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
