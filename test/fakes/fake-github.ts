/**
 * A fake GitHub REST API on 127.0.0.1 (random port) for integration tests. Real Octokit / Probot clients talk
 * to it over HTTP. Every request is checked against GitHub's own OpenAPI document (@octokit/openapi): an
 * unknown route, a missing required parameter, a body that does not match the operation's schema, a missing
 * Authorization header or an endpoint the fake does not implement is recorded in `violations` and answered
 * like GitHub would (404 / 422 / 401). Tests end with `fake.assertNoViolations()`.
 *
 * Serves both `/api/v3/...` (GitHub Enterprise layout: configure the bot with GHE_HOST=fake.host,
 * GHE_PROTOCOL=http) and the same paths without the prefix.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createHash, randomBytes } from "node:crypto";
import { docUrl, loadGitHubSpec, matchRoute, validateRequest, validateResponse } from "./github-openapi.js";
import { githubRoutes, GitHubError, type RouteContext, type RouteHandler, type RouteResult } from "./github-routes.js";
import { FakeGitHubState } from "./github-state.js";
import { issueCommentEvent, type IssueCommentEventOptions } from "./github-webhooks.js";
import type { RenderContext } from "./github-render.js";

export { FakeGitHubState } from "./github-state.js";
export type * from "./github-state.js";
export { githubRoutes, GitHubError, notFound, validationFailed } from "./github-routes.js";
export { protectedContexts } from "./github-git-routes.js";
export type { RouteContext, RouteHandler, RouteResult } from "./github-routes.js";
export { loadGitHubSpec } from "./github-openapi.js";
export { issueCommentEvent, loadWebhookExample, sendWebhook, signWebhook } from "./github-webhooks.js";
export type { IssueCommentEventOptions, SendWebhookOptions } from "./github-webhooks.js";

export interface RecordedRequest {
  method: string;
  /** Path without the `/api/v3` prefix and without the query string. */
  path: string;
  query: Record<string, string | string[]>;
  /** Parsed JSON body; the raw text when it was not JSON; undefined when empty. */
  body: unknown;
  /** The OpenAPI operationId; undefined when the route does not exist on GitHub. */
  operationId: string | undefined;
  /** Response status (0 while the request is still being answered). */
  status: number;
  /** Arrival time (ms since epoch). */
  at: number;
  /** Request headers, lower-cased names. */
  headers: Record<string, string>;
}

export interface FaultMatch {
  operationId?: string;
  method?: string;
  /** Tested against the path without prefix and query. */
  path?: RegExp;
}

export interface FaultResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface FakeGitHub {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT (for GHE_HOST) */
  host: string;
  /** http://127.0.0.1:PORT/api/v3 (Octokit baseUrl) */
  apiUrl: string;
  state: FakeGitHubState;
  requests: RecordedRequest[];
  violations: string[];
  assertNoViolations(): void;
  requestsFor(operationId: string): RecordedRequest[];
  /** Queue faults: the next `times` requests matching (method, path regexp or operationId) answer with this status/body/headers. */
  failNext(match: FaultMatch, response: FaultResponse, times?: number): void;
  /**
   * The next matching request is answered as usual from the state it finds (a write happens at once), but the
   * answer is held back until the returned `release()`: a slow network between the bot and GitHub.
   */
  holdResponse(match: FaultMatch): () => void;
  /**
   * `issueCommentEvent` with URLs of this fake, whose comment also exists in `state` (when the issue or pull
   * request does), so the bot can react to, edit or delete it. Seeds nothing else.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  issueCommentEvent(opts: Omit<IssueCommentEventOptions, "host">): any;
  /** Adds or replaces the handler of an operation. */
  route(operationId: string, handler: RouteHandler): void;
  /** Load time of GitHub's OpenAPI document in this process (ms; 0 when it was already loaded). */
  specLoadMs: number;
  close(): Promise<void>;
}

export interface StartFakeGitHubOptions {
  /** Validate requests against the OpenAPI document (default true). Routing always uses it. */
  validate?: boolean;
  /** Also check the fake's own 2xx response bodies against the response schemas (default false; slower). */
  validateResponses?: boolean;
  /** Extra or replacement handlers, by operationId. */
  routes?: Record<string, RouteHandler>;
  /** Pre-built state (default: a fresh FakeGitHubState). */
  state?: FakeGitHubState;
}

/** Ready-made fault responses for `failNext`. */
export const faults = {
  badGateway: (): FaultResponse => ({ status: 502, body: { message: "Server Error" } }),
  serviceUnavailable: (): FaultResponse => ({ status: 503, body: { message: "Service Unavailable" } }),
  secondaryRateLimit: (retryAfterSeconds = 1): FaultResponse => ({
    status: 403,
    body: {
      message:
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
      documentation_url:
        "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
      status: "403",
    },
    headers: { "retry-after": String(retryAfterSeconds) },
  }),
  primaryRateLimit: (resetInSeconds = 60): FaultResponse => ({
    status: 403,
    body: {
      message: "API rate limit exceeded for installation ID 1.",
      documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
      status: "403",
    },
    headers: {
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + resetInSeconds),
    },
  }),
};

/** Operations GitHub only serves to the app itself (Authorization: Bearer <JWT>). */
const JWT_OPERATIONS = new Set(["apps/create-installation-access-token", "apps/get-authenticated", "apps/get-repo-installation"]);

const API_PREFIX = "/api/v3";
const JSON_TYPE = "application/json; charset=utf-8";

interface QueuedFault {
  match: FaultMatch;
  response: FaultResponse;
  remaining: number;
}

export async function startFakeGitHub(opts: StartFakeGitHubOptions = {}): Promise<FakeGitHub> {
  const before = performance.now();
  const spec = await loadGitHubSpec();
  const specLoadMs = Math.round(performance.now() - before);
  const validate = opts.validate ?? true;
  const state = opts.state ?? new FakeGitHubState();
  const routes: Record<string, RouteHandler> = { ...githubRoutes, ...opts.routes };
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const queue: QueuedFault[] = [];
  const holds: { match: FaultMatch; gate: Promise<void> }[] = [];
  const rate = { limit: 5000, used: 0, reset: Math.floor(Date.now() / 1000) + 3600 };
  let base = "";

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`fake GitHub crashed on ${req.method} ${req.url}: ${String(err instanceof Error ? err.stack : err)}`);
      if (!res.headersSent) send(res, 500, { message: "Server Error" }, {});
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://fake.invalid");
    let path = url.pathname;
    if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) path = path.slice(API_PREFIX.length) || "/";
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
      const prev = query[key];
      query[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    const raw = await readBody(req);
    let body: unknown = undefined;
    let jsonError: string | undefined;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch (err) {
        body = raw;
        jsonError = err instanceof Error ? err.message : String(err);
      }
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;

    const record: RecordedRequest = { method, path, query, body, operationId: undefined, status: 0, at, headers };
    requests.push(record);
    const label = `${method} ${path}`;

    const rateHeaders = () => ({
      "x-ratelimit-limit": String(rate.limit),
      "x-ratelimit-remaining": String(Math.max(0, rate.limit - rate.used)),
      "x-ratelimit-reset": String(rate.reset),
      "x-ratelimit-used": String(rate.used),
      "x-ratelimit-resource": "core",
    });
    let held: Promise<void> | undefined;
    const reply = async (status: number, payload: unknown, extraHeaders: Record<string, string> = {}, delayMs = 0) => {
      record.status = status;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      await held;
      if (headers.authorization) rate.used += 1;
      send(res, status, payload, { ...rateHeaders(), ...extraHeaders });
    };
    const error = (status: number, message: string, operationDoc = "https://docs.github.com/rest", extra: Record<string, unknown> = {}) =>
      reply(status, { message, ...extra, documentation_url: operationDoc, status: String(status) });

    // 1. Routing against GitHub's OpenAPI paths.
    const match = matchRoute(spec, method, path);
    if (!match) {
      violations.push(`${label}: no such route in GitHub's REST API`);
      return error(404, "Not Found");
    }
    const { operation, operationId } = match;
    record.operationId = operationId;
    const where = `${label} (${operationId})`;
    const doc = docUrl(operation);

    // 2. Authentication.
    const auth = headers.authorization;
    if (JWT_OPERATIONS.has(operationId)) {
      const problem = checkJwt(auth);
      if (problem) {
        violations.push(`${where}: needs the app's JWT (Authorization: Bearer <jwt>): ${problem}`);
        return error(401, "A JSON web token could not be decoded", doc);
      }
    } else if (!auth) {
      violations.push(`${where}: no Authorization header`);
      return error(401, "Requires authentication", doc);
    } else if (checkJwt(auth) === undefined) {
      violations.push(`${where}: called with the app's JWT instead of an installation token`);
      return error(401, "'Authorization' header is a JWT; this endpoint needs an installation access token", doc);
    }

    // 3. Validation of parameters and body.
    if (jsonError !== undefined) {
      violations.push(`${where}: body is not valid JSON (${jsonError})`);
      return error(400, "Problems parsing JSON", doc);
    }
    if (validate) {
      const problems = validateRequest(spec, operation, {
        method,
        path,
        query,
        headers: req.headers,
        body: raw.length > 0 ? raw : undefined,
      });
      if (problems.length > 0) {
        violations.push(`${where}: request does not match GitHub's OpenAPI schema:\n    - ${problems.join("\n    - ")}`);
        return error(422, `Invalid request.\n\n${problems.join("\n")}`, doc);
      }
    }

    // 4. Queued faults.
    const fault = takeFault(queue, method, path, operationId);
    if (fault) {
      const payload = fault.body === undefined ? { message: STATUS_CODES[fault.status] ?? "Error", documentation_url: doc } : fault.body;
      return reply(fault.status, payload, fault.headers, fault.delayMs);
    }

    const hold = holds.findIndex((h) => matchesFault(h.match, method, path, operationId));
    if (hold >= 0) held = holds.splice(hold, 1)[0]!.gate;

    // 5. The handler.
    const handler = routes[operationId];
    if (!handler) {
      violations.push(`${where}: endpoint exists on GitHub but the fake does not implement it (add it to test/fakes/github-routes.ts)`);
      return error(501, `fake GitHub does not implement ${operationId}`, doc);
    }
    const render: RenderContext = { base, state };
    const ctx: RouteContext = {
      operationId,
      method,
      path,
      params: match.params,
      query,
      body,
      headers: req.headers,
      state,
      render,
      docUrl: doc,
      repo: () => {
        const repo = state.findRepo(`${match.params.owner ?? ""}/${match.params.repo ?? ""}`);
        if (!repo) throw new GitHubError(404, "Not Found");
        return repo;
      },
      int: (name) => Number.parseInt(match.params[name] ?? "", 10),
      queryParam: (name) => {
        const value = query[name];
        return Array.isArray(value) ? value[0] : value;
      },
      violation: (message) => violations.push(`${where}: ${message}`),
      page: (items, renderItem) => paginate(`${base}${API_PREFIX}${path}`, query, items, renderItem),
    };
    let result: RouteResult;
    try {
      result = await handler(ctx);
    } catch (err) {
      if (err instanceof GitHubError) return error(err.status, err.message, doc, err.extra);
      violations.push(`${where}: fake handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return error(500, "Server Error", doc);
    }
    if (opts.validateResponses && result.status >= 200 && result.status < 300) {
      const problems = validateResponse(spec, operation, result.status, result.status === 204 ? null : result.body);
      if (problems.length > 0) {
        violations.push(`${where}: the fake's own ${result.status} response does not match GitHub's schema:\n    - ${problems.join("\n    - ")}`);
      }
    }
    // Conditional requests, as GitHub answers them: a GET's 200 carries an ETag of its body; the same GET with
    // If-None-Match of that ETag gets 304 Not Modified with no body, which does not count against the rate limit.
    if (method === "GET" && result.status === 200) {
      const etag = `W/"${createHash("sha1").update(JSON.stringify(result.body ?? null)).digest("hex")}"`;
      if (headers["if-none-match"] === etag) {
        record.status = 304;
        await held;
        return send(res, 304, undefined, { ...rateHeaders(), etag });
      }
      return reply(result.status, result.body, { ...result.headers, etag });
    }
    return reply(result.status, result.body, result.headers);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  base = `http://${host}`;

  return {
    url: base,
    host,
    apiUrl: `${base}${API_PREFIX}`,
    state,
    requests,
    violations,
    specLoadMs,
    assertNoViolations() {
      if (violations.length === 0) return;
      const list = violations.map((v, i) => `  ${i + 1}. ${v}`).join("\n");
      throw new Error(`fake GitHub recorded ${violations.length} violation(s):\n${list}`);
    },
    requestsFor(operationId) {
      return requests.filter((r) => r.operationId === operationId);
    },
    failNext(match, response, times = 1) {
      queue.push({ match, response, remaining: times });
    },
    holdResponse(match) {
      let release!: () => void;
      holds.push({ match, gate: new Promise<void>((resolve) => (release = resolve)) });
      return release;
    },
    issueCommentEvent(eventOpts) {
      let commentId = eventOpts.commentId;
      if (commentId === undefined && state.findIssue(eventOpts.repo, eventOpts.prNumber)) {
        commentId = state.addComment(eventOpts.repo, eventOpts.prNumber, {
          body: eventOpts.body,
          user: eventOpts.user,
          userType: eventOpts.userType,
        }).id;
      }
      return issueCommentEvent({ ...eventOpts, commentId, host });
    },
    route(operationId, handler) {
      routes[operationId] = handler;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function matchesFault(match: FaultMatch, method: string, path: string, operationId: string): boolean {
  return (
    (match.operationId === undefined || match.operationId === operationId) &&
    (match.method === undefined || match.method.toUpperCase() === method) &&
    (match.path === undefined || testRegExp(match.path, path))
  );
}

function takeFault(queue: QueuedFault[], method: string, path: string, operationId: string): FaultResponse | undefined {
  const index = queue.findIndex((f) => f.remaining > 0 && matchesFault(f.match, method, path, operationId));
  const fault = queue[index];
  if (!fault) return undefined;
  fault.remaining -= 1;
  if (fault.remaining <= 0) queue.splice(index, 1);
  return fault.response;
}

function testRegExp(re: RegExp, value: string): boolean {
  re.lastIndex = 0;
  return re.test(value);
}

/** undefined when `authorization` is a syntactically valid `Bearer <jwt>`, else the reason it is not. */
function checkJwt(authorization: string | undefined): string | undefined {
  if (!authorization) return "no Authorization header";
  const m = /^bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!m?.[1]) return "not a Bearer token";
  const parts = m[1].split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return "not three base64url parts";
  try {
    const header = JSON.parse(Buffer.from(parts[0] ?? "", "base64url").toString("utf8")) as { alg?: unknown };
    const payload = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8")) as { iss?: unknown; exp?: unknown };
    if (typeof header.alg !== "string") return "JWT header has no alg";
    if (payload.iss === undefined) return "JWT has no iss (app id)";
    if (typeof payload.exp !== "number") return "JWT has no exp";
    if (payload.exp * 1000 < Date.now()) return "JWT expired";
  } catch {
    return "JWT header or payload is not base64url JSON";
  }
  return undefined;
}

function paginate<T>(
  url: string,
  query: Record<string, string | string[]>,
  items: T[],
  renderItem: (item: T) => unknown,
): RouteResult {
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const perPage = Math.min(100, Math.max(1, Number.parseInt(first(query.per_page) ?? "30", 10) || 30));
  const page = Math.max(1, Number.parseInt(first(query.page) ?? "1", 10) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const pageUrl = (n: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (k !== "page") for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
    params.set("page", String(n));
    return `<${url}?${params.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${pageUrl(page - 1)}; rel="prev"`);
  if (page < last) links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(last)}; rel="last"`);
  if (page > 1) links.push(`${pageUrl(1)}; rel="first"`);
  return { status: 200, body: slice.map(renderItem), headers: links.length > 0 ? { link: links.join(", ") } : {} };
}

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string>): void {
  const text = status === 204 || status === 304 || payload === undefined ? "" : JSON.stringify(payload);
  res.writeHead(status, {
    "content-type": JSON_TYPE,
    "x-github-media-type": "github.v3; format=json",
    "x-github-api-version-selected": "2022-11-28",
    "x-github-request-id": requestId(),
    ...headers,
    ...(text === "" ? {} : { "content-length": String(Buffer.byteLength(text)) }),
  });
  res.end(text);
}

function requestId(): string {
  const hex = (n: number) => randomBytes(n).toString("hex").toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${hex(4)}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
