// npm run bench:load — several mario processes behind one Redis, under a mixed load of signed webhooks and Slack
// slash commands.
//
// For 1, 2 and 4 worker processes (one web process in front, MARIO_ROLE=web/worker, compiled dist as `npm start`
// runs it), two phases of the same mix: `/build` comments that start PipelineRuns, signed `/mario build` slash
// commands (a Slack user mapped to a GitHub user; they also start PipelineRuns), comments with a bad argument
// (answered with a reply), comments from a read-only user (refused) and plain conversation (dropped at intake).
// A command is done when its effect is visible: the PipelineRun stored in the fake cluster, or the reply posted on
// the fake GitHub.
// 1. Saturation: far more commands than the processes can handle, sent as fast as the web process takes them
//    (BENCH_BURST of them, BENCH_CONCURRENCY requests in flight). A backlog builds up, so the completion rate is
//    what the processes can sustain — not what was offered. Max sustained throughput = commands done per second
//    between the 10th and 90th percentile of completions (leaving out the ramp-up and the tail).
// 2. Latency: an open loop at a fixed rate below saturation (BENCH_RATE webhooks/s, default half of what one
//    worker sustained), for BENCH_SECONDS; p50/p99 from webhook sent to effect.
// Then memory: BENCH_TRACKED run records (one finished run per PR) written through the real run store, in Redis
// bytes per 10,000, and the resident memory of the processes. GitHub, Slack and Kubernetes are the test suite's
// loopback fakes, in this process. Every loop is bounded. A short smoke run:
//   BENCH_WORKERS=1,2 BENCH_BURST=200 BENCH_SECONDS=2 BENCH_TRACKED=500 npm run bench:load
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { parse, stringify } from "yaml";
import { packageRoot } from "../src/package-root.js";
import { createRunStore } from "../src/runs/run-store.js";
import { queueName } from "../src/work/work-queue.js";
import { issueCommentEvent, sendWebhook, startFakeGitHub } from "../test/fakes/fake-github.js";
import { startFakeKube } from "../test/fakes/fake-kube.js";
import { startFakeSlack } from "../test/fakes/fake-slack.js";
import { formType, postSigned, signSlackBody, slashCommandBody } from "../test/fakes/fake-slack-requests.js";
import { startChild } from "./child-process.js";

const fixedRate = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined; // latency phase, webhooks/s
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const burst = Number(process.env.BENCH_BURST ?? 3000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
const workerCounts = (process.env.BENCH_WORKERS ?? "1,2,4").split(",").map(Number);
const trackedRuns = Number(process.env.BENCH_TRACKED ?? 10_000);
const cores = availableParallelism();
const secret = "bench-webhook-secret";
const slackSecret = "bench-slack-signing-secret";
const channel = "C0BENCH";
const repo = "octo/bench";
const prs = 50;
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const privateKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const github = await startFakeGitHub({ validate: false });
const kube = await startFakeKube({ bookmarkIntervalMs: 0 });
const slack = await startFakeSlack();
slack.addChannel(channel);
github.state.addRepo(repo);
for (let n = 1; n <= prs; n++) github.state.addPullRequest(repo, { number: n, user: "author", title: `PR ${n}` });
for (let u = 0; u < 10; u++) github.state.setPermission(repo, `dev${u}`, "write");
github.state.setPermission(repo, "reader", "read");
const dir = mkdtempSync(join(tmpdir(), "mario-load-"));
const kubeconfig = join(dir, "kubeconfig");
writeFileSync(
  kubeconfig,
  `apiVersion: v1\nkind: Config\nclusters: [{ name: fake, cluster: { server: "${kube.url}", insecure-skip-tls-verify: true } }]\nusers: [{ name: b, user: { token: b } }]\ncontexts: [{ name: fake, context: { cluster: fake, user: b } }]\ncurrent-context: fake\n`,
);
// The shipped config, with Slack users U0DEV0…U0DEV9 mapped to the GitHub users dev0…dev9.
const configFile = join(dir, "mario.yaml");
const slackUser = (u: number) => `U0DEV${u}`;
writeFileSync(configFile, stringify({ ...parse(readFileSync(join(packageRoot, "config", "mario.yaml"), "utf8")), slack: { users: Object.fromEntries(Array.from({ length: 10 }, (_, u) => [slackUser(u), `dev${u}`])) } }));

// Completion times, by the unique tag each command carries.
const done = new Map<string, number>();
kube.onEvent((event) => {
  if (event.type !== "ADDED" || event.resource !== "pipelineruns") return;
  const tag = /tag=(t\d+x\d+)/.exec((event.object.metadata?.annotations as Record<string, string> | undefined)?.["mario.dev/command-line"] ?? "")?.[1];
  if (tag && !done.has(tag)) done.set(tag, performance.now());
});
const repliesSeen = { index: 0 };
const scanReplies = () => {
  for (; repliesSeen.index < github.requests.length; repliesSeen.index++) {
    const r = github.requests[repliesSeen.index]!;
    if (r.operationId !== "issues/create-comment") continue;
    for (const m of String((r.body as { body?: string })?.body ?? "").matchAll(/bad(t\d+x\d+)!/g)) if (!done.has(m[1]!)) done.set(m[1]!, r.at - Date.now() + performance.now());
  }
};

execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
const baseEnv = (prefix: string, role: string) => ({
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
  LOG_LEVEL: "warn",
  MARIO_ROLE: role,
  MARIO_CONFIG: configFile,
  SLACK_SIGNING_SECRET: slackSecret,
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_API_URL: slack.apiUrl,
});
const listening = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"mario is listening"/;
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;

/** Waits (bounded) until the work queue has no job waiting, running or delayed. */
async function drained(prefix: string) {
  const q = `${prefix}:${queueName}`;
  for (let i = 0; i < 600; i++) {
    const [wait, active, delayed, prioritized] = await Promise.all([redis.llen(`${q}:wait`), redis.llen(`${q}:active`), redis.zcard(`${q}:delayed`), redis.zcard(`${q}:prioritized`)]);
    if (wait + active + delayed + prioritized === 0) return;
    await sleep(500);
  }
}

async function deletePrefix(redis: Redis, prefix: string) {
  for (let cursor = "0", i = 0; i < 100_000; i++) {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
    if (cursor === "0") break;
  }
}

const redis = new Redis(redisUrl, { protocol: 2 });

/** What one offered load produced: when each command was sent, and the webhook answers. */
interface Offered {
  start: number;
  sent: Map<string, number>;
  http: number[];
  refused: number;
}

/** The i-th command of the mix, sent to the web process; resolves with its HTTP answer. */
function sendOne(url: string, tag: string, i: number) {
  const kind = i % 10;
  // 6 in 10 start a run (5 comments, 1 slash command), 2 have a bad tag (a reply), 1 is refused (read-only
  // user), 1 is conversation (no effect to wait for).
  const body = kind < 6 ? `/build image tag=${tag}` : kind < 8 ? `/build image tag=bad${tag}!` : kind === 8 ? `/build image tag=${tag}` : `LGTM, thanks ${tag}`;
  const user = kind === 8 ? "reader" : `dev${i % 10}`;
  const request =
    kind === 5
      ? postSigned(`${url}/slack/events`, signSlackBody(slackSecret, slashCommandBody({ text: `build image tag=${tag} repo=${repo} pr=${1 + (i % prs)}`, userId: slackUser(i % 10), channelId: channel, responseUrl: slack.responseUrl() }), formType))
      : sendWebhook(`${url}/api/github/webhooks`, { name: "issue_comment", payload: issueCommentEvent({ repo, prNumber: 1 + (i % prs), user, body, installationId: 1 }), secret });
  return { request, counts: kind < 8 };
}

/**
 * Sends `count` commands tagged `t<phase>x<i>`: paced at `rate`/s (an open loop: sends do not wait for answers),
 * or, without a rate, as fast as the web process answers with `concurrency` requests in flight.
 */
async function offer(url: string, phase: number, count: number, rate?: number): Promise<Offered> {
  const out: Offered = { start: performance.now(), sent: new Map(), http: [], refused: 0 };
  const one = async (i: number) => {
    const tag = `t${phase}x${i}`;
    const at = performance.now();
    const { request, counts } = sendOne(url, tag, i);
    if (counts) out.sent.set(tag, at);
    try {
      const res = await request;
      out.http.push(performance.now() - at);
      if (res.status === 200) return;
    } catch {
      // not acknowledged: GitHub would show a failed delivery
    }
    out.refused++;
    out.sent.delete(tag);
  };
  if (rate !== undefined) {
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const wait = out.start + (i * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      inflight.push(one(i));
    }
    await Promise.all(inflight);
  } else {
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await one(next++);
    }));
  }
  return out;
}

/** Waits (bounded) until every acknowledged command has its effect; returns the completion times by tag. */
async function settled(o: Offered, timeoutMs: number): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  const finished = () => [...o.sent.keys()].filter((t) => done.has(t)).length;
  while (finished() < o.sent.size && Date.now() < deadline) {
    scanReplies();
    await sleep(50);
  }
  scanReplies();
  return new Map([...o.sent.keys()].filter((t) => done.has(t)).map((t) => [t, done.get(t)!]));
}

interface Result {
  workers: number;
  /** Saturation: commands done per second while a backlog existed, and how fast the web process took them. */
  max: number;
  intake: number;
  saturated: { completed: number; expected: number; refused: number };
  /** Latency at `rate` webhooks/s. */
  rate: number;
  p50: number;
  p99: number;
  httpP99: number;
  latency: { completed: number; expected: number; refused: number };
  rss: { web: number; worker: number };
}
const results: Result[] = [];
/** Commands done nearly as fast as webhooks were taken (8 in 10 of them are commands): the backlog never grew much. */
const intakeBound = (r: Result) => r.max >= 0.9 * 0.8 * r.intake;
let latencyRate = fixedRate;
let phase = 0;

for (const workers of workerCounts) {
  // LOG_LEVEL warn in the children: the "listening" line is logged at info, so ask for it on stderr instead.
  const prefix = `mario-load-${randomUUID().slice(0, 8)}`;
  const web = await startChild("dist/src/main.js", { ...baseEnv(prefix, "web"), LOG_LEVEL: "info" }, listening);
  const pool = await Promise.all(Array.from({ length: workers }, () => startChild("dist/src/main.js", { ...baseEnv(prefix, "worker"), LOG_LEVEL: "info" }, listening)));
  const url = web.match[1]!;

  // 1. Saturation.
  const sat = await offer(url, ++phase, burst);
  const intakeSeconds = (performance.now() - sat.start) / 1000;
  const satDone = await settled(sat, 300_000);
  const times = [...satDone.values()].sort((a, b) => a - b);
  const [t10, t90] = [percentile(times, 10), percentile(times, 90)];
  const window = Math.floor(times.length * 0.9) - Math.floor(times.length * 0.1);
  const max = t90 > t10 ? window / ((t90 - t10) / 1000) : NaN;
  // Let the workers go idle before measuring latency: the saturation left reports (check runs, comments) queued
  // behind the effects it waited for, and the latency phase must not wait behind them.
  await drained(prefix);
  await sleep(1000);

  // 2. Latency below saturation: the same rate for every worker count (half of what one worker sustained).
  latencyRate ??= Math.max(1, Math.round((max / 0.8) * 0.5)); // webhooks/s: 8 in 10 of them are commands
  const lat = await offer(url, ++phase, Math.round(latencyRate * seconds), latencyRate);
  const latDone = await settled(lat, 120_000);
  const latencies = [...latDone.entries()].map(([t, at]) => at - lat.sent.get(t)!).sort((a, b) => a - b);
  const http = [...lat.http].sort((a, b) => a - b);

  const rss = { web: rssMb(web.child.pid!), worker: Math.max(...pool.map((p) => rssMb(p.child.pid!))) };
  await Promise.all([web.stop(), ...pool.map((p) => p.stop())]);
  await deletePrefix(redis, prefix);
  // The next phase starts as a fresh deployment would: no PipelineRuns, comments or check runs of this one. Left
  // behind, they would meet a Redis that knows nothing of them (a new prefix), and the next phase would measure
  // mario rebuilding thousands of lost records instead of serving commands.
  for (const run of kube.pipelineRuns()) kube.deletePipelineRun(run.metadata.namespace, run.metadata.name);
  github.state.commentsById.clear();
  github.state.checkRunsById.clear();
  const r: Result = {
    workers,
    max,
    intake: sat.http.length / intakeSeconds,
    saturated: { completed: satDone.size, expected: sat.sent.size, refused: sat.refused },
    rate: latencyRate,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    httpP99: percentile(http, 99),
    latency: { completed: latDone.size, expected: lat.sent.size, refused: lat.refused },
    rss,
  };
  results.push(r);
  const processes = workers + 1;
  console.log(
    `1 web + ${workers} worker${workers > 1 ? "s" : ""}${processes > cores ? ` (${processes} processes sharing ${cores} cores with Redis and this load generator)` : ""}: ` +
      `saturated by ${burst} commands sent ${concurrency} at a time (taken at ${round(r.intake)}/s): max sustained ${round(max)} commands/s${intakeBound(r) ? " (close to the intake rate: the web process, not the workers, set the pace)" : ""}, ${r.saturated.completed}/${r.saturated.expected} done, ${r.saturated.refused} not acknowledged; ` +
      `at ${latencyRate} webhooks/s for ${seconds} s: webhook → effect p50 ${round(r.p50)} ms p99 ${round(r.p99)} ms, ${r.latency.completed}/${r.latency.expected} done, ${r.latency.refused} not acknowledged, webhook HTTP p99 ${round(r.httpP99)} ms; ` +
      `RSS web ${round(rss.web)} MiB, worker ${round(rss.worker)} MiB`,
  );
}

// Memory per 10,000 tracked PRs: one finished run with its report ids per PR, written through the real store.
const memPrefix = `mario-load-mem-${randomUUID().slice(0, 8)}:`;
const store = createRunStore(redis, memPrefix);
const before = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1]);
for (let i = 0; i < trackedRuns; i += 500) {
  await Promise.all(
    Array.from({ length: Math.min(500, trackedRuns - i) }, async (_, j) => {
      const n = i + j;
      const name = `mario-build-${n}-${randomUUID().slice(0, 10)}`;
      await store.create(
        { namespace: "mario", name, installationId: 1, repo: { owner: "octo", name: `repo${n % 100}` }, pr: n, prUrl: `https://github.com/octo/repo${n % 100}/pull/${n}`, headSha: randomUUID().replace(/-/g, "").padEnd(40, "0"), verb: "build", commandLine: `/build image tag=pr-${n}`, requester: `dev${n % 10}`, checkName: "mario/build image", createdAt: new Date().toISOString() },
        { state: "creating", results: [] },
      );
      await store.setStatus("mario", name, { state: "succeeded", startedAt: new Date().toISOString(), completedAt: new Date().toISOString(), results: [{ name: "IMAGE_URL", value: `registry.example.com/octo/repo:pr-${n}` }, { name: "IMAGE_DIGEST", value: `sha256:${"a".repeat(64)}` }] }, [
        { name: "fetch-source", state: "succeeded" },
        { name: "build-push", state: "succeeded" },
      ] as never);
      await store.setReported("mario", name, "check", 1_000_000 + n, "0".repeat(40));
      await store.setReported("mario", name, "comment", 2_000_000 + n, "0".repeat(40));
    }),
  );
}
const after = Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1]);
let keyBytes = 0;
for (let cursor = "0", i = 0; i < 100_000; i++) {
  const [next, keys] = await redis.scan(cursor, "MATCH", `${memPrefix}*`, "COUNT", 1000);
  const sizes = await Promise.all(keys.map((k) => redis.memory("USAGE", k).then(Number)));
  keyBytes += sizes.reduce((a, b) => a + b, 0);
  cursor = next;
  if (cursor === "0") break;
}
await deletePrefix(redis, memPrefix);
redis.disconnect();
await Promise.all([github.close(), kube.close(), slack.close()]);
const per10k = (bytes: number) => (bytes / trackedRuns) * 10_000 / 1024 / 1024;
console.log(`memory per 10,000 tracked PRs (one finished run each, with its check run and comment ids): Redis ${round(per10k(keyBytes))} MiB by MEMORY USAGE (used_memory grew ${round(per10k(after - before))} MiB); processes keep no per-PR state (RSS above)`);

if (slack.violations.length) console.log(`fake Slack recorded ${slack.violations.length} violation(s): ${slack.violations.slice(0, 3).join("; ")}`);
const byWorkers = new Map(results.map((r) => [r.workers, r]));
const one = byWorkers.get(1) ?? results[0]!;
const ratio = (n: number) => (byWorkers.has(n) && one.max > 0 ? `${n}/${one.workers} ${round(byWorkers.get(n)!.max / one.max, 2)}x` : undefined);
const ratios = [2, 4].map(ratio).filter(Boolean).join(", ");
const shared = results.filter((r) => r.workers + 1 > cores).map((r) => r.workers);
const allDone = results.every((r) => r.saturated.completed === r.saturated.expected && r.latency.completed === r.latency.expected);
const perWorkers = results.map((r) => `${r.workers}w max ${round(r.max)}/s${intakeBound(r) ? " (intake-bound)" : ""} p99 ${Math.round(r.p99)} ms @${r.rate}/s`).join(", ");
console.log(
  `summary: ${perWorkers}; scaling ${ratios || "n/a"}${shared.length ? ` (${cores} cores: ${shared.join(" and ")} workers share them with the web process, Redis and the load generator)` : ""}; ` +
    `Redis ${round(per10k(keyBytes))} MiB per 10k tracked PRs; RSS web ${round(Math.max(...results.map((r) => r.rss.web)))} MiB worker ${round(Math.max(...results.map((r) => r.rss.worker)))} MiB; ${allDone ? "no command lost" : "SOME COMMANDS NOT DONE"}`,
);
process.exit(allDone ? 0 : 1);
