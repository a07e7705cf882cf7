/**
 * Several real mario processes (`node --import tsx src/main.ts`, as `npm start` runs it) on loopback, sharing one
 * Redis and key prefix, against the fake GitHub and fake Kubernetes API running in the test process. Each replica
 * has its own port and role; tests kill, stop and restart them to prove what survives.
 */
import type { ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startChild } from "../../../bench/child-process.js";
import { issueCommentEvent, sendWebhook, startFakeGitHub, type FakeGitHub } from "../../fakes/fake-github.js";
import { startFakeKube, type FakeKube } from "../../fakes/fake-kube.js";
import { deleteKeys, uniquePrefix } from "../../support/test-redis.js";

export const webhookSecret = "cluster-webhook-secret";
export const repo = "octo/demo";
export const ns = "mario";

export type Role = "web" | "worker" | "all";

export interface Replica {
  name: string;
  role: Role;
  url: string;
  child: ChildProcess;
  /** Everything the process printed (JSON log lines). */
  output(): string;
  /** SIGTERM, then wait for the exit; the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
  /** SIGKILL: no shutdown code runs, like a node lost or an OOM kill. */
  kill(): void;
  exited: Promise<number | null>;
}

export interface Cluster {
  github: FakeGitHub;
  kube: FakeKube;
  prefix: string;
  redisUrl: string;
  replicas: Replica[];
  start(role: Role, env?: Record<string, string>): Promise<Replica>;
  /** Sends a signed `issue_comment` webhook to `to` (default: the first live web or all replica). */
  comment(body: string, opts?: { to?: Replica; deliveryId?: string; prNumber?: number; user?: string }): Promise<{ status: number; deliveryId: string }>;
  metrics(replica: Replica): Promise<string>;
  close(): Promise<void>;
}

let privateKey: string | undefined;
/** The GitHub App's private key every replica is given (one per test process). */
export const appKey = () => (privateKey ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString());

export async function startCluster(opts: { redisUrl: string; prs?: number[]; env?: Record<string, string> }): Promise<Cluster> {
  const [github, kube] = await Promise.all([startFakeGitHub(), startFakeKube({ bookmarkIntervalMs: 0 })]);
  github.state.addRepo(repo);
  for (const number of opts.prs ?? [42]) github.state.addPullRequest(repo, { number, user: "carol", title: `PR ${number}` });
  github.state.setPermission(repo, "alice", "write");
  github.state.setPermission(repo, "carol", "write");
  const prefix = uniquePrefix();
  const dir = mkdtempSync(join(tmpdir(), "mario-cluster-"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters: [{ name: fake, cluster: { server: "${kube.url}", insecure-skip-tls-verify: true } }]\nusers: [{ name: t, user: { token: t } }]\ncontexts: [{ name: fake, context: { cluster: fake, user: t } }]\ncurrent-context: fake\n`,
  );
  const replicas: Replica[] = [];
  let count = 0;

  const cluster: Cluster = {
    github,
    kube,
    prefix,
    redisUrl: opts.redisUrl,
    replicas,
    async start(role, env = {}) {
      const name = `${role}-${++count}`;
      let output = "";
      const started = await startChild(
        "src/main.ts",
        {
          APP_ID: "1",
          PRIVATE_KEY: appKey(),
          WEBHOOK_SECRET: webhookSecret,
          GHE_HOST: github.host,
          GHE_PROTOCOL: "http",
          REDIS_URL: opts.redisUrl,
          MARIO_REDIS_PREFIX: prefix,
          PORT: "0",
          HOST: "127.0.0.1",
          PUBLIC_URL: "https://mario.example.test",
          KUBECONFIG: kubeconfig,
          LOG_LEVEL: "info",
          KUBE_REQUEST_TIMEOUT_MS: "1000",
          // Fast failover for tests; production defaults are 15 s and 30 s.
          MARIO_LEASE_TTL_MS: "1000",
          MARIO_JOB_LOCK_MS: "1000",
          MARIO_ROLE: role,
          ...opts.env,
          ...env,
        },
        /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"mario is listening"/,
        60_000,
      );
      const { child } = started;
      const collect = (d: Buffer) => void (output += d.toString());
      child.stdout!.on("data", collect);
      child.stderr!.on("data", collect);
      const exited = new Promise<number | null>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
        else child.once("exit", (code) => resolve(code));
      });
      const replica: Replica = {
        name,
        role,
        url: started.match[1]!,
        child,
        output: () => output,
        exited,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
          const code = await exited;
          clearTimeout(timer);
          return code;
        },
        kill: () => void child.kill("SIGKILL"),
      };
      replicas.push(replica);
      return replica;
    },
    async comment(body, o = {}) {
      const to = o.to ?? replicas.find((r) => r.role !== "worker" && r.child.exitCode === null && r.child.signalCode === null);
      if (!to) throw new Error("no live web replica");
      const deliveryId = o.deliveryId ?? randomUUID();
      const payload = issueCommentEvent({ repo, prNumber: o.prNumber ?? 42, user: o.user ?? "alice", installationId: 1, body });
      const res = await sendWebhook(`${to.url}/api/github/webhooks`, { name: "issue_comment", payload, secret: webhookSecret, deliveryId });
      return { status: res.status, deliveryId };
    },
    async metrics(replica) {
      return (await fetch(`${replica.url}/metrics`)).text();
    },
    async close() {
      await Promise.all(replicas.map((r) => r.stop()));
      await Promise.all([github.close(), kube.close()]);
      await deleteKeys(prefix).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** The value of a Prometheus sample (`name{labels}`), summed over the lines that match every given label. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

/** One JSON log line of a replica. */
export type LogLine = Record<string, unknown> & { msg?: string; delivery?: string; job?: string; level?: number };

/** The JSON log lines a replica printed (anything else it printed is returned in `other`). */
export function logLines(replica: Replica): { lines: LogLine[]; other: string[] } {
  const lines: LogLine[] = [];
  const other: string[] = [];
  for (const text of replica.output().split("\n")) {
    if (!text.trim()) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      other.push(text);
    }
  }
  return { lines, other };
}

/**
 * What must never appear in a replica's output: the webhook secret and the GitHub App's private key (its PEM
 * header or any line of its body). Returns the offending lines.
 */
export function leakedSecrets(replica: Replica, secrets: string[] = [webhookSecret]): string[] {
  const keyLines = appKey().split("\n").filter((l) => l.length >= 32 && !l.startsWith("-----"));
  const needles = [...secrets, "PRIVATE KEY-----", ...keyLines];
  return replica.output().split("\n").filter((line) => needles.some((n) => line.includes(n)));
}
