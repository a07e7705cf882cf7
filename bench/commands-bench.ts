// npm run bench — webhook → PipelineRun latency and throughput of mario, against a floor.
//
// mario runs as `npm start` would (compiled dist/src/main.js in its own process, real Redis), GitHub and the Kubernetes API are
// the loopback fakes of the test suite (in this process). Signed `/build` comments are sent at a steady rate;
// a command's latency ends when its PipelineRun is stored in the fake cluster. The floor is a bare Probot app
// (bench/floor-app.ts) that verifies and parses the same webhooks; its latency is the webhook's HTTP round trip.
// Every loop is bounded; every address is loopback.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { issueCommentEvent, sendWebhook, startFakeGitHub } from "../test/fakes/fake-github.js";
import { startFakeKube } from "../test/fakes/fake-kube.js";
import { startChild } from "./child-process.js";

const rate = Number(process.env.BENCH_RATE ?? 100); // commands per second
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const total = rate * seconds;
// Commands sent first and left out of every figure: the JIT, connection pools and caches (installation token,
// permissions) warm up as they would in a process that has been running.
const warmup = Number(process.env.BENCH_WARMUP ?? 100);
const secret = "bench-webhook-secret";
const repo = "octo/bench";
const prs = 20;
const users = Array.from({ length: 10 }, (_, i) => `dev${i}`);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `mario-bench-${randomUUID().slice(0, 8)}`;

const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const github = await startFakeGitHub({ validate: false });
const kube = await startFakeKube({ bookmarkIntervalMs: 0 });
github.state.addRepo(repo);
for (let n = 1; n <= prs; n++) github.state.addPullRequest(repo, { number: n, user: "author", title: `PR ${n}` });
for (const u of users) github.state.setPermission(repo, u, "write");

const kubeconfigDir = mkdtempSync(join(tmpdir(), "mario-bench-"));
const kubeconfig = join(kubeconfigDir, "kubeconfig");
writeFileSync(
  kubeconfig,
  `apiVersion: v1\nkind: Config\nclusters: [{ name: fake, cluster: { server: "${kube.url}", insecure-skip-tls-verify: true } }]\nusers: [{ name: bench, user: { token: bench } }]\ncontexts: [{ name: fake, context: { cluster: fake, user: bench } }]\ncurrent-context: fake\n`,
);

/** CPU time (ms) a child process has used so far, from /proc (Linux). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in 1/100 s
  } catch {
    return NaN;
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `total` signed comments at `rate`/s; returns each command's send time and HTTP round trip, by tag. */
async function load(url: string, tagPrefix: string, count = total) {
  const sent = new Map<string, { at: number; http: number; status: number }>();
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const tag = `${tagPrefix}${i}`;
    const payload = issueCommentEvent({ repo, prNumber: 1 + (i % prs), user: users[i % users.length]!, body: `/build image tag=${tag}`, installationId: 1 });
    const at = performance.now();
    inflight.push(
      sendWebhook(`${url}/api/github/webhooks`, { name: "issue_comment", payload, secret }).then((res) => {
        sent.set(tag, { at, http: performance.now() - at, status: res.status });
      }),
    );
  }
  await Promise.all(inflight);
  return { sent, sendSeconds: (performance.now() - start) / 1000 };
}

// ---- floor: verify + parse only
const floor = await startChild("bench/floor-app.ts", { APP_ID: "1", PRIVATE_KEY: privateKey, WEBHOOK_SECRET: secret }, /listening (http:\/\/\S+)/);
const floorCpuBefore = cpuMs(floor.child.pid);
await load(floor.match[1]!, "fw", warmup);
const floorRun = await load(floor.match[1]!, "f");
const floorCpu = cpuMs(floor.child.pid) - floorCpuBefore;
await floor.stop();
const floorHttp = [...floorRun.sent.values()].map((s) => s.http).sort((a, b) => a - b);

// ---- mario, started as `npm start` would
const created = new Map<string, number>();
let warmedUp = 0;
kube.onEvent((event) => {
  if (event.type !== "ADDED" || event.resource !== "pipelineruns") return;
  const line = (event.object.metadata?.annotations as Record<string, string> | undefined)?.["mario.dev/command-line"] ?? "";
  if (/tag=w\d+/.test(line)) warmedUp += 1;
  const tag = /tag=(m\d+)/.exec(line)?.[1];
  if (tag && !created.has(tag)) created.set(tag, performance.now());
});
// The production entry point, compiled as `npm start` runs it.
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
const mario = await startChild(
  "dist/src/main.js",
  {
    APP_ID: "1",
    PRIVATE_KEY: privateKey,
    WEBHOOK_SECRET: secret,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    REDIS_URL: redisUrl,
    MARIO_REDIS_PREFIX: prefix,
    PORT: "0",
    HOST: "127.0.0.1",
    PUBLIC_URL: "https://mario.bench.test",
    KUBECONFIG: kubeconfig,
    LOG_LEVEL: "info",
  },
  /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"mario is listening"/,
);
const marioUrl = mario.match[1]!;
await load(marioUrl, "w", warmup);
for (let i = 0; i < 500 && warmedUp < warmup; i++) await sleep(20);
await sleep(1000); // the warm-up's reports go out before the measured load starts
const ghBefore = github.requests.length;
const marioCpuBefore = cpuMs(mario.child.pid);
const marioRun = await load(marioUrl, "m");
const deadline = Date.now() + 60_000;
while (created.size < total && Date.now() < deadline) await sleep(20);
// Let the reports (check run + comment per command) finish too, to count their requests.
const reportDeadline = Date.now() + 60_000;
const reported = () => github.requests.filter((r) => r.operationId === "issues/create-comment").length;
while (reported() < created.size && Date.now() < reportDeadline) await sleep(50);
const marioCpu = cpuMs(mario.child.pid) - marioCpuBefore;
await mario.stop();

const latencies = [...marioRun.sent.entries()].filter(([tag]) => created.has(tag)).map(([tag, s]) => created.get(tag)! - s.at).sort((a, b) => a - b);
const marioHttp = [...marioRun.sent.values()].map((s) => s.http).sort((a, b) => a - b);
const firstSent = Math.min(...[...marioRun.sent.values()].map((s) => s.at));
const lastCreated = Math.max(...created.values());
const throughput = created.size / ((lastCreated - firstSent) / 1000);
const ghRequests = github.requests.slice(ghBefore);
const byOp = new Map<string, number>();
for (const r of ghRequests) byOp.set(r.operationId ?? `${r.method} ${r.path}`, (byOp.get(r.operationId ?? `${r.method} ${r.path}`) ?? 0) + 1);
const beforeRun = ["apps/create-installation-access-token", "repos/get-collaborator-permission-level", "pulls/get"].reduce((n, op) => n + (byOp.get(op) ?? 0), 0);

await Promise.all([github.close(), kube.close()]);
const { Redis } = await import("ioredis");
const redis = new Redis(redisUrl, { protocol: 2 });
for (let cursor = "0", i = 0; i < 10_000; i++) {
  const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
  if (keys.length) await redis.del(...keys);
  cursor = next;
  if (cursor === "0") break;
}
redis.disconnect();

const p50 = percentile(latencies, 50);
const p99 = percentile(latencies, 99);
const fp50 = percentile(floorHttp, 50);
const fp99 = percentile(floorHttp, 99);
console.log(`load (after ${warmup} warm-up commands): ${total} signed /build comments at ${rate}/s over ${seconds} s, ${prs} PRs, ${users.length} users`);
console.log(`floor (bare Probot: verify + parse): webhook round trip p50 ${round(fp50)} ms, p99 ${round(fp99)} ms`);
console.log(`mario webhook round trip: p50 ${round(percentile(marioHttp, 50))} ms, p99 ${round(percentile(marioHttp, 99))} ms`);
console.log(`mario webhook → PipelineRun created: p50 ${round(p50)} ms, p99 ${round(p99)} ms, ${created.size}/${total} created`);
console.log(`mario sustained: ${round(throughput)} commands/s (offered ${rate}/s)`);
console.log(`CPU per command: mario ${round(marioCpu / created.size, 2)} ms (intake, queue, GitHub, Kubernetes, report), floor ${round(floorCpu / total, 2)} ms (verify + parse)`);
console.log(`GitHub requests: ${round(ghRequests.length / created.size, 2)} per command in all, ${round(beforeRun / created.size, 2)} before the run starts`);
console.log(`  by operation: ${[...byOp.entries()].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(", ")}`);
console.log(
  `summary: p50 ${round(p50)} ms p99 ${round(p99)} ms at ${rate}/s; ${round(throughput)} cmd/s sustained; ${round(beforeRun / created.size, 2)} GitHub req/cmd before run, ${round(ghRequests.length / created.size, 2)} in all; cost vs floor: latency p50 ${round(p50 / fp50)}x p99 ${round(p99 / fp99)}x, CPU/command ${round(marioCpu / created.size / (floorCpu / total))}x`,
);
process.exit(created.size === total ? 0 : 1);
