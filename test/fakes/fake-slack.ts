/**
 * A fake Slack Web API and `response_url` endpoint on loopback, driven by the real @slack/web-api client.
 * Every call is recorded; the method, its token and its required arguments are checked, and so are the limits
 * Slack enforces on messages and blocks. A mistake a real Slack would reject is answered like Slack
 * (`ok: false` with its error code) and recorded in `violations`; tests end with `assertNoViolations()`.
 * `failNext` injects faults: `ratelimited` (HTTP 429 + Retry-After), `ok: false` errors, HTTP 5xx.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseQuery } from "node:querystring";
import { attachSlackSocket, type FakeSlackSocket } from "./fake-slack-socket.js";

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  /** What the fake answered: the error code, or "ok". */
  outcome: string;
  at: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Block[];
  /** Each chat.update, oldest first (the current content is `text`/`blocks`). */
  updates: { text: string; blocks: Block[] }[];
}

export interface ResponseUrlPost {
  id: string;
  body: { text?: string; response_type?: string; replace_original?: boolean; blocks?: unknown[] };
}

export type SlackFault = { ratelimited: number } | { error: string } | { status: number };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Block = Record<string, any>;

export interface FakeSlack {
  /** Web API base, ending in `/api/` (SLACK_API_URL). */
  apiUrl: string;
  url: string;
  botToken: string;
  /** App-level token for Socket Mode (SLACK_APP_TOKEN). */
  appToken: string;
  /** Socket Mode: the connection `apps.connections.open` leads to. */
  socket: FakeSlackSocket;
  calls: SlackCall[];
  callsOf(method: string): SlackCall[];
  violations: string[];
  assertNoViolations(): void;
  /** A channel the bot may post in (`member: false`: it exists but the bot is not in it). */
  addChannel(id: string, opts?: { member?: boolean }): void;
  setUserGroup(id: string, members: string[]): void;
  messages(channel: string): FakeMessage[];
  deleteMessage(channel: string, ts: string): void;
  /** The next `times` calls of `method` fail. */
  failNext(method: string, fault: SlackFault, times?: number): void;
  /** A fresh `response_url`; Slack accepts five answers on one. */
  responseUrl(): string;
  /** Answers posted to one response_url, or to all of them. */
  responses(url?: string): ResponseUrlPost[];
  close(): Promise<void>;
}

interface MethodSpec {
  required: string[];
  /** Which token the method takes (default: the bot token). */
  token?: "app";
  handle(args: Record<string, unknown>): Record<string, unknown>;
}

class SlackMethodError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const blockTypes = new Set(["section", "context", "actions", "divider", "header", "image", "input", "rich_text"]);

export async function startFakeSlack(opts: { botToken?: string } = {}): Promise<FakeSlack> {
  const botToken = opts.botToken ?? "xoxb-test-token";
  const appToken = "xapp-test-token";
  const calls: SlackCall[] = [];
  const violations: string[] = [];
  const channels = new Map<string, { member: boolean; messages: FakeMessage[] }>();
  const userGroups = new Map<string, string[]>();
  const faults = new Map<string, SlackFault[]>();
  const responses: ResponseUrlPost[] = [];
  let responseSeq = 0;
  let clock = 1_700_000_000;
  let tsSeq = 0;
  let base = "";

  const channelOf = (id: unknown) => {
    const channel = channels.get(String(id));
    if (!channel) throw new SlackMethodError("channel_not_found");
    return channel;
  };
  const checkMessage = (method: string, args: Record<string, unknown>): { text: string; blocks: Block[] } => {
    const text = typeof args.text === "string" ? args.text : "";
    const blocks = parseBlocks(method, args.blocks);
    if (!text && blocks.length === 0) throw new SlackMethodError("no_text");
    if (!text) violations.push(`${method}: blocks without a text fallback (notifications and screen readers show nothing)`);
    if (text.length > 40_000) throw new SlackMethodError("msg_too_long");
    return { text, blocks };
  };
  const parseBlocks = (method: string, raw: unknown): Block[] => {
    if (raw === undefined) return [];
    let blocks: unknown = raw;
    if (typeof raw === "string") {
      try {
        blocks = JSON.parse(raw);
      } catch {
        violations.push(`${method}: blocks is not JSON`);
        throw new SlackMethodError("invalid_blocks_format");
      }
    }
    const problems = blockProblems(blocks);
    if (problems.length) {
      violations.push(`${method}: invalid blocks:\n    - ${problems.join("\n    - ")}`);
      throw new SlackMethodError("invalid_blocks");
    }
    return blocks as Block[];
  };

  const methods: Record<string, MethodSpec> = {
    "apps.connections.open": { required: [], token: "app", handle: () => ({ url: socket.url() }) },
    "auth.test": { required: [], handle: () => ({ url: "https://fake.slack.test/", team: "Fake", user: "mario", team_id: "T0FAKE", user_id: "U0MARIO", bot_id: "B0MARIO" }) },
    "chat.postMessage": {
      required: ["channel"],
      handle(args) {
        const channel = channelOf(args.channel);
        if (!channel.member) throw new SlackMethodError("not_in_channel");
        const content = checkMessage("chat.postMessage", args);
        const ts = `${++clock}.${String(++tsSeq).padStart(6, "0")}`;
        channel.messages.push({ channel: String(args.channel), ts, ...content, updates: [] });
        return { channel: args.channel, ts, message: { type: "message", ts, text: content.text, blocks: content.blocks } };
      },
    },
    "chat.update": {
      required: ["channel", "ts"],
      handle(args) {
        const channel = channelOf(args.channel);
        const message = channel.messages.find((m) => m.ts === args.ts);
        if (!message) throw new SlackMethodError("message_not_found");
        const content = checkMessage("chat.update", args);
        message.updates.push({ text: message.text, blocks: message.blocks });
        Object.assign(message, content);
        return { channel: args.channel, ts: args.ts, text: content.text };
      },
    },
    "usergroups.users.list": {
      required: ["usergroup"],
      handle(args) {
        const members = userGroups.get(String(args.usergroup));
        if (!members) throw new SlackMethodError("no_such_subteam");
        return { users: members };
      },
    },
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      violations.push(`fake Slack crashed on ${req.method} ${req.url}: ${String(error instanceof Error ? error.stack : error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = new URL(req.url ?? "/", "http://fake").pathname;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(body));
    };

    const responseMatch = /^\/response\/([\w-]+)$/.exec(path);
    if (responseMatch && req.method === "POST") {
      const id = responseMatch[1]!;
      let body: ResponseUrlPost["body"];
      try {
        body = JSON.parse(raw) as ResponseUrlPost["body"];
      } catch {
        violations.push(`response_url ${id}: body is not JSON`);
        return answer(400, { ok: false, error: "invalid_payload" });
      }
      const fault = takeFault("response_url");
      if (fault) return sendFault("response_url", fault, answer);
      const used = responses.filter((r) => r.id === id).length;
      if (used >= 5) {
        violations.push(`response_url ${id}: a sixth answer (Slack accepts five)`);
        return answer(404, { ok: false, error: "used_url" });
      }
      if (typeof body.text !== "string" || body.text === "") violations.push(`response_url ${id}: answer without text`);
      responses.push({ id, body });
      calls.push({ method: "response_url", args: body as Record<string, unknown>, outcome: "ok", at: Date.now() });
      return answer(200, { ok: true });
    }

    const methodMatch = /^\/api\/([\w.]+)$/.exec(path);
    if (!methodMatch || req.method !== "POST") {
      violations.push(`${req.method} ${path}: not a Slack Web API call`);
      return answer(404, { ok: false, error: "unknown_method" });
    }
    const method = methodMatch[1]!;
    const args = parseArgs(req.headers["content-type"], raw);
    const record = (outcome: string) => calls.push({ method, args, outcome, at: Date.now() });
    const spec = methods[method];
    if (!spec) {
      violations.push(`${method}: unknown Web API method (or not implemented by the fake)`);
      record("unknown_method");
      return answer(200, { ok: false, error: "unknown_method" });
    }
    const auth = req.headers.authorization ?? (typeof args.token === "string" ? `Bearer ${args.token}` : undefined);
    if (auth !== `Bearer ${spec.token === "app" ? appToken : botToken}`) {
      violations.push(`${method}: ${auth ? "wrong token" : "no token"}`);
      record(auth ? "invalid_auth" : "not_authed");
      return answer(200, { ok: false, error: auth ? "invalid_auth" : "not_authed" });
    }
    const missing = spec.required.filter((name) => args[name] === undefined || args[name] === "");
    if (missing.length) {
      violations.push(`${method}: missing required argument(s) ${missing.join(", ")}`);
      record("invalid_arguments");
      return answer(200, { ok: false, error: "invalid_arguments", response_metadata: { messages: missing.map((m) => `[ERROR] missing required field: ${m}`) } });
    }
    const fault = takeFault(method);
    if (fault) {
      record("ratelimited" in fault ? "ratelimited" : "error" in fault ? fault.error : `HTTP ${fault.status}`);
      return sendFault(method, fault, answer);
    }
    try {
      const result = spec.handle(args);
      record("ok");
      return answer(200, { ok: true, ...result });
    } catch (error) {
      if (!(error instanceof SlackMethodError)) throw error;
      record(error.code);
      return answer(200, { ok: false, error: error.code });
    }
  }

  function takeFault(method: string): SlackFault | undefined {
    const queue = faults.get(method);
    return queue?.shift();
  }

  function sendFault(method: string, fault: SlackFault, answer: (status: number, body: unknown, headers?: Record<string, string>) => void): void {
    if ("ratelimited" in fault) return answer(429, { ok: false, error: "ratelimited" }, { "retry-after": String(fault.ratelimited) });
    if ("error" in fault) return answer(200, { ok: false, error: fault.error });
    return answer(fault.status, { ok: false, error: `fake ${method} HTTP ${fault.status}` });
  }

  const socket = attachSlackSocket(server, () => base);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    apiUrl: `${base}/api/`,
    url: base,
    botToken,
    appToken,
    socket,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method),
    violations,
    assertNoViolations() {
      if (violations.length) throw new Error(`fake Slack saw ${violations.length} violation(s):\n  - ${violations.join("\n  - ")}`);
    },
    addChannel(id, o = {}) {
      channels.set(id, { member: o.member ?? true, messages: channels.get(id)?.messages ?? [] });
    },
    setUserGroup(id, members) {
      userGroups.set(id, members);
    },
    messages: (channel) => channels.get(channel)?.messages ?? [],
    deleteMessage(channel, ts) {
      const c = channels.get(channel);
      if (c) c.messages = c.messages.filter((m) => m.ts !== ts);
    },
    failNext(method, fault, times = 1) {
      const queue = faults.get(method) ?? [];
      for (let i = 0; i < times; i++) queue.push(fault);
      faults.set(method, queue);
    },
    responseUrl: () => `${base}/response/r${++responseSeq}`,
    responses: (url) => (url ? responses.filter((r) => `${base}/response/${r.id}` === url) : [...responses]),
    close: () =>
      new Promise<void>((resolve) => {
        socket.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Slack accepts form-encoded arguments (nested values as JSON strings) or a JSON body. */
function parseArgs(contentType: string | undefined, raw: string): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.startsWith("application/json")) return JSON.parse(raw) as Record<string, unknown>;
  const form = parseQuery(raw);
  return Object.fromEntries(Object.entries(form).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
}

/** The Block Kit limits Slack enforces, for the block types mario uses. */
function blockProblems(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ["blocks is not an array"];
  const problems: string[] = [];
  if (blocks.length > 50) problems.push(`${blocks.length} blocks; at most 50`);
  const textOk = (t: unknown, max: number, where: string) => {
    const o = t as { type?: string; text?: unknown } | undefined;
    if (!o || (o.type !== "mrkdwn" && o.type !== "plain_text") || typeof o.text !== "string") problems.push(`${where}: not a text object`);
    else if (o.text.length === 0 || o.text.length > max) problems.push(`${where}: text of ${o.text.length} characters (1–${max})`);
  };
  blocks.forEach((b: Block, i) => {
    const at = `blocks[${i}]`;
    if (!blockTypes.has(b?.type)) return problems.push(`${at}: unknown block type ${JSON.stringify(b?.type)}`);
    if (b.block_id !== undefined && (typeof b.block_id !== "string" || b.block_id.length > 255)) problems.push(`${at}.block_id: too long or not a string`);
    if (b.type === "section") textOk(b.text, 3000, `${at}.text`);
    if (b.type === "context") {
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) problems.push(`${at}.elements: 1–10 elements`);
      else b.elements.forEach((e: unknown, j: number) => textOk(e, 3000, `${at}.elements[${j}]`));
    }
    if (b.type === "actions") {
      if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) problems.push(`${at}.elements: 1–25 elements`);
      else {
        b.elements.forEach((e: Block, j: number) => {
          const where = `${at}.elements[${j}]`;
          if (e.type !== "button") return problems.push(`${where}: only buttons are checked by the fake`);
          if (e.text?.type !== "plain_text") problems.push(`${where}.text: buttons need plain_text`);
          textOk(e.text, 75, `${where}.text`);
          if (typeof e.action_id !== "string" || e.action_id.length > 255) problems.push(`${where}.action_id: missing or longer than 255`);
          if (e.value !== undefined && (typeof e.value !== "string" || e.value.length > 2000)) problems.push(`${where}.value: longer than 2000`);
          if (e.style !== undefined && e.style !== "primary" && e.style !== "danger") problems.push(`${where}.style: ${e.style}`);
          if (e.confirm) {
            textOk(e.confirm.title, 100, `${where}.confirm.title`);
            textOk(e.confirm.text, 300, `${where}.confirm.text`);
            textOk(e.confirm.confirm, 30, `${where}.confirm.confirm`);
            textOk(e.confirm.deny, 30, `${where}.confirm.deny`);
          }
        });
        const ids = b.elements.map((e: Block) => e.action_id);
        if (new Set(ids).size !== ids.length) problems.push(`${at}: duplicate action_id`);
      }
    }
  });
  return problems;
}
