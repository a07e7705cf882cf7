/**
 * Routing and the REST verbs of the fake API server. Handlers throw `KubeHttpError` for error answers; the
 * server (fake-kube.ts) turns them into `Status` responses.
 *
 * Routes:
 *   GET /healthz /readyz /livez /version /api /api/v1 /apis /apis/tekton.dev /apis/tekton.dev/v1
 *   /apis/tekton.dev/v1/{pipelineruns|taskruns}                       GET list/watch (all namespaces)
 *   /apis/tekton.dev/v1/namespaces/{ns}/{pipelineruns|taskruns}       GET list/watch, POST, DELETE (collection)
 *   /apis/tekton.dev/v1/namespaces/{ns}/{plural}/{name}[/status]      GET, PATCH, PUT, DELETE (not on /status)
 *   /api/v1/pods, /api/v1/namespaces/{ns}/pods                        GET list/watch
 *   /api/v1/namespaces/{ns}/pods/{name}                               GET, DELETE
 *   /api/v1/namespaces/{ns}/pods/{name}/log                           GET
 * `.../watch/...` paths (the deprecated watch prefix) work too.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { compileFilter, matchesFilter } from "./kube-label-selector.js";
import type { LogStore } from "./kube-logs.js";
import { applyPatch } from "./kube-patch.js";
import {
  alreadyExists,
  clone,
  conflict,
  deletedStatus,
  findResource,
  httpError,
  invalid,
  isPlainObject,
  kubeTime,
  notFound,
  type KubeObject,
  type ResourceDef,
} from "./kube-resources.js";
import type { KubeStore } from "./kube-store.js";
import { CANCEL_STATES, PENDING } from "./kube-tekton.js";
import type { WatchHub } from "./kube-watch.js";

export interface ApiDeps {
  store: KubeStore;
  watches: WatchHub;
  logs: LogStore;
}

export interface ApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  body: Buffer;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PIPELINERUN_SPEC_STATUS = new Set(["", PENDING, ...CANCEL_STATES]);

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendText(res: ServerResponse, text: string): void {
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Paths that answer without credentials (as `system:public-info-viewer` allows on a real cluster). */
export function isPublicPath(pathname: string): boolean {
  return ["/healthz", "/readyz", "/livez", "/version"].includes(pathname.replace(/\/$/, ""));
}

function isTrue(value: string | null): boolean {
  return value === "true" || value === "1";
}

function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

function parseBody(api: ApiRequest, optional = false): unknown {
  const text = api.body.toString("utf8");
  if (text.trim() === "") {
    if (optional) return undefined;
    throw httpError(400, "the request body is empty", "BadRequest");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    if (optional) return undefined;
    throw httpError(400, `couldn't get version/kind; json parse error: ${(error as Error).message}`, "BadRequest");
  }
}

function requireJsonBody(api: ApiRequest): unknown {
  const type = mediaType(api.req);
  if (type !== "" && type !== "application/json" && !type.endsWith("+json")) {
    throw httpError(415, `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`, "UnsupportedMediaType");
  }
  return parseBody(api);
}

function methodNotAllowed(method: string): Error {
  return httpError(405, `the server does not allow this method on the requested resource (${method})`, "MethodNotAllowed");
}

function routeNotFound(): Error {
  return httpError(404, "the server could not find the requested resource", "NotFound", {});
}

export class KubeApi {
  constructor(private readonly deps: ApiDeps) {}

  handle(api: ApiRequest): void {
    const { method, url } = api;
    const path = url.pathname.replace(/\/$/, "") || "/";
    const segs = path.split("/").filter(Boolean).map(decodeURIComponent);

    if (["/healthz", "/readyz", "/livez"].includes(path)) return sendText(api.res, "ok");
    const discovery = method === "GET" ? this.discovery(path, api.req) : undefined;
    if (discovery) return sendJson(api.res, 200, discovery);

    let group: string;
    let rest: string[];
    if (segs[0] === "api" && segs[1] === "v1") {
      group = "";
      rest = segs.slice(2);
    } else if (segs[0] === "apis" && segs[1] === "tekton.dev" && segs[2] === "v1") {
      group = "tekton.dev";
      rest = segs.slice(3);
    } else {
      throw routeNotFound();
    }
    let watch = isTrue(url.searchParams.get("watch"));
    if (rest[0] === "watch") {
      watch = true;
      rest = rest.slice(1);
    }

    if (rest.length === 1) {
      const def = findResource(group, rest[0]!);
      if (!def) throw routeNotFound();
      if (method !== "GET") throw methodNotAllowed(method);
      return this.listOrWatch(api, def, undefined, watch);
    }
    if (rest[0] !== "namespaces" || rest.length < 3) throw routeNotFound();
    const ns = rest[1]!;
    const def = findResource(group, rest[2]!);
    if (!def) throw routeNotFound();
    const name = rest[3];
    const sub = rest[4];
    if (rest.length > 5) throw routeNotFound();

    if (name === undefined) return this.collection(api, def, ns, watch);
    if (sub === undefined) return this.item(api, def, ns, name);
    if (sub === "status" && def.writable) return this.statusItem(api, def, ns, name);
    if (sub === "log" && def.resource === "pods") {
      if (method !== "GET") throw methodNotAllowed(method);
      return this.deps.logs.serve(api.req, api.res, ns, name, url.searchParams);
    }
    throw routeNotFound();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Discovery

  private discovery(path: string, req: IncomingMessage): unknown {
    const tektonResources = [
      { name: "pipelineruns", singularName: "pipelinerun", namespaced: true, kind: "PipelineRun", shortNames: ["pr", "prs"], categories: ["tekton", "tekton-pipelines"], verbs: ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"] },
      { name: "pipelineruns/status", singularName: "", namespaced: true, kind: "PipelineRun", verbs: ["get", "patch", "update"] },
      { name: "taskruns", singularName: "taskrun", namespaced: true, kind: "TaskRun", shortNames: ["tr", "trs"], categories: ["tekton", "tekton-pipelines"], verbs: ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"] },
      { name: "taskruns/status", singularName: "", namespaced: true, kind: "TaskRun", verbs: ["get", "patch", "update"] },
    ];
    const tektonGroup = {
      name: "tekton.dev",
      versions: [{ groupVersion: "tekton.dev/v1", version: "v1" }],
      preferredVersion: { groupVersion: "tekton.dev/v1", version: "v1" },
    };
    switch (path) {
      case "/version":
        return {
          major: "1",
          minor: "31",
          gitVersion: "v1.31.0-fake",
          gitCommit: "0000000000000000000000000000000000000000",
          gitTreeState: "clean",
          buildDate: "2024-08-13T00:00:00Z",
          goVersion: "go1.22.5",
          compiler: "gc",
          platform: "linux/amd64",
        };
      case "/api":
        return {
          kind: "APIVersions",
          versions: ["v1"],
          serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: req.headers.host ?? "127.0.0.1" }],
        };
      case "/api/v1":
        return {
          kind: "APIResourceList",
          groupVersion: "v1",
          resources: [
            { name: "pods", singularName: "pod", namespaced: true, kind: "Pod", shortNames: ["po"], verbs: ["delete", "get", "list", "watch"] },
            { name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] },
          ],
        };
      case "/apis":
        return { kind: "APIGroupList", apiVersion: "v1", groups: [tektonGroup] };
      case "/apis/tekton.dev":
        return { kind: "APIGroup", apiVersion: "v1", ...tektonGroup };
      case "/apis/tekton.dev/v1":
        return { kind: "APIResourceList", apiVersion: "v1", groupVersion: "tekton.dev/v1", resources: tektonResources };
      default:
        return undefined;
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Collections

  private collection(api: ApiRequest, def: ResourceDef, ns: string, watch: boolean): void {
    switch (api.method) {
      case "GET":
        return this.listOrWatch(api, def, ns, watch);
      case "POST":
        if (!def.writable) throw methodNotAllowed(api.method);
        return this.create(api, def, ns);
      case "DELETE":
        if (!def.writable) throw methodNotAllowed(api.method);
        return this.deleteCollection(api, def, ns);
      default:
        throw methodNotAllowed(api.method);
    }
  }

  private listOrWatch(api: ApiRequest, def: ResourceDef, ns: string | undefined, watch: boolean): void {
    const q = api.url.searchParams;
    const filter = compileFilter(q.get("labelSelector") ?? undefined, q.get("fieldSelector") ?? undefined, def.resource === "pods");
    if (watch) {
      const timeout = q.get("timeoutSeconds");
      return this.deps.watches.serve(api.req, api.res, {
        def,
        namespace: ns,
        filter,
        resourceVersion: q.get("resourceVersion") ?? undefined,
        allowBookmarks: isTrue(q.get("allowWatchBookmarks")),
        sendInitialEvents: isTrue(q.get("sendInitialEvents")),
        timeoutSeconds: timeout && /^\d+$/.test(timeout) ? Number(timeout) : undefined,
      });
    }
    let items = this.deps.store.list(def.resource, ns).filter((o) => matchesFilter(filter, o));
    const key = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    const token = q.get("continue");
    if (token) {
      let after: unknown;
      try {
        after = JSON.parse(Buffer.from(token, "base64url").toString("utf8")).after;
      } catch {
        after = undefined;
      }
      if (typeof after !== "string") throw httpError(400, "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)", "BadRequest");
      items = items.filter((o) => key(o).localeCompare(after) > 0);
    }
    const limit = Number(q.get("limit") ?? "0");
    const metadata: Record<string, unknown> = { resourceVersion: String(this.deps.store.resourceVersion) };
    if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
      metadata.continue = Buffer.from(JSON.stringify({ after: key(items[items.length - 1]!) })).toString("base64url");
    }
    sendJson(api.res, 200, { apiVersion: def.apiVersion, kind: def.listKind, metadata, items });
  }

  private create(api: ApiRequest, def: ResourceDef, ns: string): void {
    const body = requireJsonBody(api);
    if (!isPlainObject(body)) throw httpError(400, "the body of the request is not a JSON object", "BadRequest");
    const obj = clone(body) as KubeObject;
    if (obj.apiVersion !== undefined && obj.apiVersion !== def.apiVersion) {
      throw httpError(400, `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${def.apiVersion})`, "BadRequest");
    }
    if (obj.kind !== undefined && obj.kind !== def.kind) {
      throw httpError(400, `the kind in the data (${String(obj.kind)}) does not match the expected kind (${def.kind})`, "BadRequest");
    }
    const metadata = isPlainObject(obj.metadata) ? obj.metadata : ({} as KubeObject["metadata"]);
    if (metadata.namespace !== undefined && metadata.namespace !== ns) {
      throw httpError(400, "the namespace of the provided object does not match the namespace sent on the request", "BadRequest");
    }
    if (metadata.resourceVersion) throw httpError(500, "resourceVersion should not be set on objects to be created", "InternalError");
    let name = metadata.name;
    if (!name) {
      if (!metadata.generateName) throw invalid(def, "", "metadata.name: Required value: name or generateName is required");
      name = this.deps.store.generateName(def.resource, ns, metadata.generateName);
    }
    obj.metadata = { ...metadata, name, namespace: ns };
    delete obj.status; // status is a subresource: ignored on create
    this.validate(def, obj, undefined);
    if (this.deps.store.exists(def.resource, ns, name)) throw alreadyExists(def, name);
    const dryRun = api.url.searchParams.get("dryRun");
    if (dryRun === "All") {
      sendJson(api.res, 201, { ...obj, apiVersion: def.apiVersion, kind: def.kind, metadata: { ...obj.metadata, creationTimestamp: kubeTime() } });
      return;
    }
    sendJson(api.res, 201, this.deps.store.create(def.resource, obj));
  }

  private deleteCollection(api: ApiRequest, def: ResourceDef, ns: string): void {
    const q = api.url.searchParams;
    const filter = compileFilter(q.get("labelSelector") ?? undefined, q.get("fieldSelector") ?? undefined, false);
    const deleted = this.deps.store
      .list(def.resource, ns)
      .filter((o) => matchesFilter(filter, o))
      .map((o) => this.deps.store.delete(def.resource, ns, o.metadata.name))
      .filter((o): o is KubeObject => o !== undefined);
    sendJson(api.res, 200, {
      apiVersion: def.apiVersion,
      kind: def.listKind,
      metadata: { resourceVersion: String(this.deps.store.resourceVersion) },
      items: deleted,
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Single objects

  private mustGet(def: ResourceDef, ns: string, name: string): KubeObject {
    const obj = this.deps.store.get(def.resource, ns, name);
    if (!obj) throw notFound(def, name);
    return obj;
  }

  private item(api: ApiRequest, def: ResourceDef, ns: string, name: string): void {
    switch (api.method) {
      case "GET":
        return sendJson(api.res, 200, this.mustGet(def, ns, name));
      case "DELETE":
        return this.deleteOne(api, def, ns, name);
      case "PATCH":
      case "PUT":
        if (!def.writable) throw methodNotAllowed(api.method);
        return this.write(api, def, ns, name, "main");
      default:
        throw methodNotAllowed(api.method);
    }
  }

  private statusItem(api: ApiRequest, def: ResourceDef, ns: string, name: string): void {
    switch (api.method) {
      case "GET":
        return sendJson(api.res, 200, this.mustGet(def, ns, name));
      case "PATCH":
      case "PUT":
        return this.write(api, def, ns, name, "status");
      default:
        throw methodNotAllowed(api.method);
    }
  }

  /** PATCH or PUT on the object (`main`: status changes ignored) or its `/status` (only status changes kept). */
  private write(api: ApiRequest, def: ResourceDef, ns: string, name: string, target: "main" | "status"): void {
    const current = this.mustGet(def, ns, name);
    let next: unknown;
    if (api.method === "PATCH") {
      const type = mediaType(api.req);
      next = applyPatch(type, current, type === "application/merge-patch+json" || type === "application/json-patch+json" ? parseBody(api) : undefined);
    } else {
      next = requireJsonBody(api);
    }
    if (!isPlainObject(next) || !isPlainObject(next.metadata)) throw httpError(400, "the object must have metadata", "BadRequest");
    const obj = next as KubeObject;
    if (obj.metadata.name !== name) {
      throw httpError(400, `the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`, "BadRequest");
    }
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== ns) {
      throw httpError(400, "the namespace of the provided object does not match the namespace sent on the request", "BadRequest");
    }
    const rv = obj.metadata.resourceVersion;
    if (api.method === "PUT" && !rv) throw invalid(def, name, "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update");
    if (rv && rv !== current.metadata.resourceVersion) throw conflict(def, name);

    let result: KubeObject;
    if (target === "status") {
      result = { ...current, status: obj.status };
    } else {
      result = { ...obj, status: current.status };
      if (current.status === undefined) delete result.status;
      this.validate(def, result, current);
    }
    if (result.status === undefined) delete result.status;
    const stored = this.deps.store.replace(def.resource, result);
    if (!stored) throw notFound(def, name);
    sendJson(api.res, 200, stored);
  }

  private deleteOne(api: ApiRequest, def: ResourceDef, ns: string, name: string): void {
    const current = this.mustGet(def, ns, name);
    const options = parseBody(api, true);
    const pre = isPlainObject(options) && isPlainObject(options.preconditions) ? options.preconditions : undefined;
    if (pre && ((pre.uid && pre.uid !== current.metadata.uid) || (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion))) {
      throw httpError(409, `Precondition failed: UID in precondition: ${String(pre.uid)}, UID in object meta: ${current.metadata.uid}`, "Conflict");
    }
    const deleted = this.deps.store.delete(def.resource, ns, name);
    if (!deleted) throw notFound(def, name);
    if (def.resource === "pods") {
      // Pods delete gracefully: the API answers with the pod carrying its deletionTimestamp.
      sendJson(api.res, 200, { ...deleted, metadata: { ...deleted.metadata, deletionTimestamp: kubeTime(), deletionGracePeriodSeconds: 30 } });
    } else {
      sendJson(api.res, 200, deletedStatus(def, deleted));
    }
  }

  /** API server + Tekton admission-webhook checks on a created or updated object. */
  private validate(def: ResourceDef, obj: KubeObject, previous: KubeObject | undefined): void {
    const { name, labels, annotations } = obj.metadata;
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      throw invalid(
        def,
        name,
        `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      );
    }
    for (const [field, map] of [["labels", labels], ["annotations", annotations]] as const) {
      if (map === undefined) continue;
      if (!isPlainObject(map) || Object.values(map).some((v) => typeof v !== "string")) {
        throw httpError(400, `json: cannot unmarshal into Go struct field ObjectMeta.metadata.${field} of type string`, "BadRequest");
      }
    }
    if (def.resource !== "pipelineruns") return;
    const webhook = (message: string) =>
      httpError(400, `admission webhook "validation.webhook.pipeline.tekton.dev" denied the request: validation failed: ${message}`, "BadRequest");
    if (name.length > 63) throw webhook("Invalid resource name: length must be no more than 63 characters: metadata.name");
    const specStatus: unknown = obj.spec?.status;
    if (specStatus !== undefined && (typeof specStatus !== "string" || !PIPELINERUN_SPEC_STATUS.has(specStatus))) {
      throw webhook(`invalid value: ${String(specStatus)}: spec.status`);
    }
    if (previous && specStatus === PENDING && previous.spec?.status !== PENDING && previous.status?.startTime) {
      throw webhook("invalid value: PipelineRun cannot be Pending after it is started: spec.status");
    }
  }
}

