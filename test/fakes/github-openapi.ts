/**
 * GitHub's own OpenAPI document (from `@octokit/openapi`), prepared once per process for routing and
 * request validation by the fake GitHub server.
 *
 * - Loaded lazily on first use and cached at module level (a vitest worker re-evaluates it per test file).
 * - Pruned to what routing and validation need: no webhooks, no examples, no components unreachable from
 *   `paths` (halves the dereferencing work).
 * - OpenAPI 3.0 `nullable` is rewritten to JSON-schema type arrays / `anyOf [.., {type: null}]` so ajv
 *   validates every schema (ajv rejects `nullable` without `type`, and `nullable` + `enum` without null).
 * - Routing and validation use openapi-backend (`quick: true`: sync dereference, lazily compiled validators).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { OpenAPIBackend } from "openapi-backend";
import type { Document, Operation } from "openapi-backend";

const require = createRequire(import.meta.url);

export const SPEC_MODULE = "@octokit/openapi/generated/api.github.com.json";

export interface PreparedSpec {
  api: OpenAPIBackend;
  /** operationId → operation (dereferenced, with path and method). */
  operations: Map<string, Operation>;
  matcher: Matcher;
  /** Milliseconds spent reading, preprocessing and initialising. */
  loadMs: number;
  timings: Record<string, number>;
}

export interface RouteMatch {
  operation: Operation;
  operationId: string;
  /** Decoded path parameters. */
  params: Record<string, string>;
}

export interface RequestToValidate {
  method: string;
  /** Path without the `/api/v3` prefix and without the query string. */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  /** Raw request body text (JSON), or undefined when the request had none. */
  body: string | undefined;
}

let cached: Promise<PreparedSpec> | undefined;

/** Loads and prepares the OpenAPI document once per process (module instance). */
export function loadGitHubSpec(): Promise<PreparedSpec> {
  cached ??= prepare().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function prepare(): Promise<PreparedSpec> {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const started = t;
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - t);
    t = now;
  };

  const document = JSON.parse(readFileSync(require.resolve(SPEC_MODULE), "utf8")) as Record<string, unknown>;
  lap("parse");
  pruneForRequests(document);
  lap("prune");
  rewriteNullable(document);
  lap("nullable");

  const api = new OpenAPIBackend({
    definition: document as unknown as Document,
    quick: true,
    validate: true,
    ajvOpts: { strict: false, allErrors: true, logger: false },
    customizeAjv: (ajv) => {
      for (const [name, format] of Object.entries(extraFormats)) ajv.addFormat(name, format);
      return ajv;
    },
  });
  await api.init();
  lap("init");

  // openapi-backend rebuilds the flattened operation list on every lookup; freeze it once.
  const ops = api.router.getOperations();
  api.router.getOperations = () => ops;
  const operations = new Map<string, Operation>();
  for (const op of ops) if (op.operationId) operations.set(op.operationId, op);
  const matcher = buildMatcher(ops);
  lap("index");

  return { api, operations, matcher, loadMs: Math.round(performance.now() - started), timings };
}

/**
 * Drops what request/response validation never reads: `x-webhooks`, every `example`/`examples` (some hold
 * `$ref`s into components/examples), and components not reachable from `paths`. Mutates in place.
 */
export function pruneForRequests(doc: Record<string, unknown>): void {
  delete doc["x-webhooks"];
  const components = (doc.components ?? {}) as Record<string, Record<string, unknown> | undefined>;
  delete components.examples;
  const refs = new Set<string>();
  const queue: string[] = [];
  const visit = (root: unknown) => {
    const stack: [unknown, string][] = [[root, ""]];
    while (stack.length > 0) {
      const [node, parentKey] = stack.pop() as [unknown, string];
      if (node === null || typeof node !== "object") continue;
      if (Array.isArray(node)) {
        for (const item of node) stack.push([item, ""]);
        continue;
      }
      const o = node as Record<string, unknown>;
      if (typeof o.$ref === "string" && !refs.has(o.$ref)) {
        refs.add(o.$ref);
        queue.push(o.$ref);
      }
      for (const [key, value] of Object.entries(o)) {
        // `properties.example` would be a property called "example", not an example.
        if ((key === "example" || key === "examples") && parentKey !== "properties") {
          delete o[key];
        } else if (value !== null && typeof value === "object") {
          stack.push([value, key]);
        }
      }
    }
  };
  visit(doc.paths);
  // Every ref is queued once; visiting its target queues the refs found there.
  for (let i = 0; i < queue.length; i++) {
    const ref = queue[i] as string;
    const target = ref
      .split("/")
      .slice(1)
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replace(/~1/g, "/").replace(/~0/g, "~")], doc);
    visit(target);
  }
  for (const section of ["schemas", "parameters", "responses", "headers", "requestBodies"]) {
    const entries = components[section];
    if (!entries) continue;
    for (const name of Object.keys(entries)) {
      if (!refs.has(`#/components/${section}/${name}`)) delete entries[name];
    }
  }
}

/**
 * OpenAPI 3.0 `nullable: true` → JSON schema. Mutates in place (before dereferencing, so every `$ref`
 * target is rewritten once).
 */
export function rewriteNullable(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const item of node) if (item !== null && typeof item === "object") stack.push(item);
      continue;
    }
    if (node === null || typeof node !== "object") continue;
    const o = node as Record<string, unknown>;
    if ("nullable" in o && typeof o.nullable === "boolean") {
      const nullable = o.nullable;
      delete o.nullable;
      if (nullable) {
        const composite = "$ref" in o || "allOf" in o || "oneOf" in o || "anyOf" in o;
        if (!composite && typeof o.type === "string") {
          o.type = [o.type, "null"];
          if (Array.isArray(o.enum) && !o.enum.includes(null)) o.enum = [...(o.enum as unknown[]), null];
        } else {
          const inner: Record<string, unknown> = { ...o };
          for (const key of Object.keys(o)) if (key !== "description" && key !== "title") delete o[key];
          o.anyOf = [inner, { type: "null" }];
        }
      }
    }
    for (const value of Object.values(o)) if (value !== null && typeof value === "object") stack.push(value);
  }
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;
const extraFormats: Record<string, { type: "string"; validate: (s: string) => boolean }> = {
  "date-time": { type: "string", validate: (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)) },
  date: { type: "string", validate: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) },
  uri: {
    type: "string",
    validate: (s) => {
      try {
        new URL(s);
        return true;
      } catch {
        return false;
      }
    },
  },
  "uri-template": { type: "string", validate: () => true },
  email: { type: "string", validate: (s) => /^[^\s@]+@[^\s@]+$/.test(s) },
  uuid: { type: "string", validate: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s) },
  hostname: { type: "string", validate: () => true },
  ipv4: { type: "string", validate: () => true },
  ipv6: { type: "string", validate: () => true },
  "repo.nwo": { type: "string", validate: (s) => /^[^/\s]+\/[^/\s]+$/.test(s) },
};

/**
 * Finds the operation for a request, or undefined when GitHub has no such route (or method).
 * Same rules as openapi-backend's router (exact path first, then templates by literal length), but with
 * the patterns compiled once instead of on every request.
 */
export function matchRoute(spec: PreparedSpec, method: string, path: string): RouteMatch | undefined {
  const m = method.toLowerCase();
  let normalized = path.split("?")[0] ?? "/";
  while (normalized.length > 1 && normalized.endsWith("/")) normalized = normalized.slice(0, -1);
  const exact = spec.matcher.exact.get(normalized)?.find((op) => op.method === m);
  if (exact?.operationId) return { operation: exact, operationId: exact.operationId, params: {} };
  for (const route of spec.matcher.templates) {
    if (route.operation.method !== m) continue;
    const hit = route.regex.exec(normalized);
    if (!hit) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      const value = hit[i + 1] ?? "";
      try {
        params[name] = decodeURIComponent(value);
      } catch {
        params[name] = value;
      }
    });
    const operationId = route.operation.operationId;
    if (!operationId) continue;
    return { operation: route.operation, operationId, params };
  }
  return undefined;
}

interface TemplateRoute {
  operation: Operation;
  regex: RegExp;
  names: string[];
  literalLength: number;
}

export interface Matcher {
  exact: Map<string, Operation[]>;
  templates: TemplateRoute[];
}

function buildMatcher(ops: Operation[]): Matcher {
  const exact = new Map<string, Operation[]>();
  const templates: TemplateRoute[] = [];
  for (const op of ops) {
    const list = exact.get(op.path) ?? [];
    list.push(op);
    exact.set(op.path, list);
    if (!op.path.includes("{")) continue;
    const names: string[] = [];
    const pattern = op.path
      .split(/(\{[^}]+\})/)
      .map((part) => {
        if (part.startsWith("{") && part.endsWith("}")) {
          names.push(part.slice(1, -1));
          return "([^/]+)";
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      })
      .join("");
    templates.push({ operation: op, regex: new RegExp(`^${pattern}$`), names, literalLength: op.path.replace(/\{.*?\}/g, "").length });
  }
  // Most specific template first (stable for equal lengths, like lodash orderBy in openapi-backend).
  templates.sort((a, b) => b.literalLength - a.literalLength);
  return { exact, templates };
}

/** Validates parameters and body against the operation; returns readable problems (empty when valid). */
export function validateRequest(spec: PreparedSpec, operation: Operation, req: RequestToValidate): string[] {
  const result = spec.api.validator.validateRequest(
    { method: req.method, path: req.path, query: cloneQuery(req.query), headers: definedHeaders(req.headers), body: req.body },
    operation,
  );
  return formatErrors(result.errors ?? []);
}

/** Validates a response body the fake produced against the operation's response schema for that status. */
export function validateResponse(spec: PreparedSpec, operation: Operation, status: number, body: unknown): string[] {
  const result = spec.api.validator.validateResponse(body, operation, status);
  return formatErrors(result.errors ?? [], 8, "response");
}

function definedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = v;
  return out;
}

function cloneQuery(query: Record<string, string | string[]>): Record<string, string | string[]> {
  const copy: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(query)) copy[k] = Array.isArray(v) ? [...v] : v;
  return copy;
}

interface AjvLikeError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** ajv errors → short human-readable lines ("body.status must be one of: queued, in_progress, completed"). */
export function formatErrors(errors: readonly AjvLikeError[], limit = 8, root?: string): string[] {
  const lines: string[] = [];
  for (const e of errors) {
    if (root !== undefined) {
      const where = `${root}${(e.instancePath ?? "").replace(/\//g, ".")}`;
      const line = `${where} ${e.message ?? e.keyword ?? "is invalid"}`;
      if (!lines.includes(line)) lines.push(line);
      continue;
    }
    const where = describePath(e.instancePath ?? "");
    const p = e.params ?? {};
    let line: string;
    switch (e.keyword) {
      case "enum":
        line = `${where} must be one of: ${(p.allowedValues as unknown[] | undefined)?.map((v) => JSON.stringify(v)).join(", ")}`;
        break;
      case "required":
        line = `${where === "request" ? "" : `${where}: `}missing required ${describeMissing(e.instancePath ?? "", String(p.missingProperty))}`;
        break;
      case "additionalProperties":
        line = where === "query"
          ? `unknown query parameter '${String(p.additionalProperty)}'`
          : `${where} has unknown property '${String(p.additionalProperty)}'`;
        break;
      case "parse":
        line = `body is not valid JSON: ${e.message ?? ""}`;
        break;
      default:
        line = `${where} ${e.message ?? e.keyword ?? "is invalid"}`;
    }
    if (!lines.includes(line)) lines.push(line);
  }
  if (lines.length > limit) return [...lines.slice(0, limit), `… and ${lines.length - limit} more`];
  return lines;
}

function describePath(instancePath: string): string {
  if (instancePath === "") return "request";
  const parts = instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const head = parts.shift();
  const base = head === "requestBody" ? "body" : head === "path" ? "path" : head === "query" ? "query" : head === "header" ? "header" : String(head);
  return [base, ...parts].join(".");
}

function describeMissing(instancePath: string, prop: string): string {
  if (instancePath === "") {
    return prop === "requestBody" ? "request body" : `${prop} parameters`;
  }
  if (instancePath === "/query") return `query parameter '${prop}'`;
  if (instancePath === "/path") return `path parameter '${prop}'`;
  if (instancePath === "/header") return `header '${prop}'`;
  return `property '${prop}'`;
}

/** The operation's documentation URL (what GitHub puts into `documentation_url`). */
export function docUrl(operation: Operation | undefined): string {
  const ext = (operation as { externalDocs?: { url?: string } } | undefined)?.externalDocs?.url;
  return ext ?? "https://docs.github.com/rest";
}
