import { generateKeyPairSync, randomUUID } from "node:crypto";
import { pino } from "pino";
import { parseConfig, loadConfigFile } from "../../src/config/load-config.js";
import type { MarioConfig } from "../../src/config/config-schema.js";
import { startMario, type Mario } from "../../src/mario.js";
import { loadSettings } from "../../src/settings.js";
import { issueCommentEvent, sendWebhook, startFakeGitHub, type FakeGitHub } from "../fakes/fake-github.js";
import { startFakeKube, type FakeKube } from "../fakes/fake-kube.js";
import { deleteKeys, redisUrl, uniquePrefix } from "./test-redis.js";

export const webhookSecret = "test-webhook-secret";
export const publicUrl = "https://mario.example.test";
export const repo = "octo/demo";

let privateKey: string | undefined;
/** One RSA key per test process: the fake GitHub only checks the JWT's shape. */
function appPrivateKey(): string {
  privateKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  return privateKey;
}

export interface TestMario {
  mario: Mario;
  github: FakeGitHub;
  kube: FakeKube;
  prefix: string;
  config: MarioConfig;
  /** Sends a signed issue_comment webhook to mario, as GitHub would. */
  comment(body: string, opts?: Partial<Parameters<typeof issueCommentEvent>[0]> & { deliveryId?: string }): Promise<{ status: number; text: string; deliveryId: string }>;
  close(): Promise<void>;
}

/**
 * mario as in production — its HTTP server, BullMQ worker and watcher, real Redis — against loopback fakes of
 * GitHub and the Kubernetes API. The repo octo/demo has PR #42 by carol; alice may write, bob may only read.
 */
export async function startTestMario(
  opts: { config?: string; env?: Record<string, string>; retryAttempts?: number; replicaOf?: TestMario; watchBackoff?: { initialMs: number; maxMs: number } } = {},
): Promise<TestMario> {
  // `replicaOf`: a second mario replica on the same fakes, Redis prefix and config; closing it closes only mario.
  const shared = opts.replicaOf;
  const [github, kube] = shared ? [shared.github, shared.kube] : await Promise.all([startFakeGitHub(), startFakeKube({ bookmarkIntervalMs: 0 })]);
  if (!shared) seedRepo(github);
  const prefix = shared?.prefix ?? uniquePrefix();
  const config = shared?.config ?? (opts.config ? parseConfig(opts.config) : loadConfigFile());
  const settings = loadSettings({
    APP_ID: "1",
    PRIVATE_KEY: appPrivateKey(),
    WEBHOOK_SECRET: webhookSecret,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    REDIS_URL: redisUrl(),
    MARIO_REDIS_PREFIX: prefix,
    PORT: "0",
    HOST: "127.0.0.1",
    PUBLIC_URL: publicUrl,
    KUBE_REQUEST_TIMEOUT_MS: "1000",
    ...opts.env,
  });
  const mario = await startMario({
    settings,
    config,
    kubeConfig: kube.kubeConfig(),
    log: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    retry: { attempts: opts.retryAttempts ?? 4, baseMs: 50, maxMs: 400 },
    watchBackoff: opts.watchBackoff ?? { initialMs: 50, maxMs: 400 },
  });
  return {
    mario,
    github,
    kube,
    prefix,
    config,
    async comment(body, o = {}) {
      const deliveryId = o.deliveryId ?? randomUUID();
      const payload = issueCommentEvent({ repo, prNumber: 42, user: "alice", installationId: 1, ...o, body });
      const res = await sendWebhook(`${mario.url}/api/github/webhooks`, { name: "issue_comment", payload, secret: webhookSecret, deliveryId });
      return { ...res, deliveryId };
    },
    async close() {
      await mario.close();
      if (shared) return;
      await Promise.all([github.close(), kube.close()]);
      await deleteKeys(prefix);
    },
  };
}

/** Polls until `probe` returns a truthy value; fails after `timeoutMs` with the last value seen. */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 500)}`);
}

/** Lets queued work drain, to assert that something did NOT happen. */
export const settle = (ms = 600) => new Promise((r) => setTimeout(r, ms));

/** The repo octo/demo with PR #42 by carol; alice and carol may write, bob may only read. */
function seedRepo(github: FakeGitHub): void {
  github.state.addRepo(repo);
  github.state.addPullRequest(repo, { number: 42, user: "carol", title: "Add a feature" });
  github.state.setPermission(repo, "alice", "write");
  github.state.setPermission(repo, "bob", "read");
  github.state.setPermission(repo, "carol", "write");
}
