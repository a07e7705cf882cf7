// npm run bench:load — several mario processes behind one Redis, under a mixed load of signed webhooks and Slack
// slash commands.
//
// For 1, 2 and 4 worker processes (one web process in front, MARIO_ROLE=web/worker, compiled dist as `npm start`
// runs it), the same load is offered: `/build` comments that start PipelineRuns, signed `/mario build` slash
// commands (a Slack user mapped to a GitHub user; they also start PipelineRuns), comments with a bad argument
// (answered with a reply), comments from a read-only user (refused) and plain conversation (dropped at intake).
// A command's latency ends when its effect is visible: the PipelineRun stored in the fake cluster, or the reply
// posted on the fake GitHub. Then memory: 10,000 run records written through the real run store (Redis bytes),
// and the resident memory of the processes. GitHub, Slack and Kubernetes are the test suite's loopback fakes, in
// this process. Every loop is bounded.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { parse, stringify } from "yaml";
import { packageRoot } from "../src/package-root.js";
import { createRunStore } from "../src/runs/run-store.js";
import { issueCommentEvent, sendWebhook, startFakeGitHub } from "../test/fakes/fake-github.js";
import { startFakeKube } from "../test/fakes/fake-kube.js";
import { startFakeSlack } from "../test/fakes/fake-slack.js";
import { formType, postSigned, signSlackBody, slashCommandBody } from "../test/fakes/fake-slack-requests.js";
import { startChild } from "./child-process.js";

const rate = Number(process.env.BENCH_RATE ?? 60); // webhooks per second offered
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const workerCounts = (process.env.BENCH_WORKERS ?? "1,2,4").split(",").map(Number);
const trackedRuns = Number(process.env.BENCH_TRACKED ?? 10_000);
const total = rate * seconds;
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

async function deletePrefix(redis: Redis, prefix: string) {
  for (let cursor = "0", i = 0; i < 100_000; i++) {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
    if (cursor === "0") break;
  }
}

const redis = new Redis(redisUrl, { protocol: 2 });
interface Phase {
  refused: number;
  workers: number;
  throughput: number;
  p50: number;
  p99: number;
  completed: number;
  expected: number;
  httpP99: number;
  rss: { web: number; worker: number };
}
const phases: Phase[] = [];

for (const [phaseIndex, workers] of workerCounts.entries()) {
  // LOG_LEVEL warn in the children: the "listening" line is logged at info, so ask for it on stderr instead.
  const prefix = `mario-load-${randomUUID().slice(0, 8)}`;
  const web = await startChild("dist/src/main.js", { ...baseEnv(prefix, "web"), LOG_LEVEL: "info" }, listening);
  const pool = await Promise.all(Array.from({ length: workers }, () => startChild("dist/src/main.js", { ...baseEnv(prefix, "worker"), LOG_LEVEL: "info" }, listening)));
  const url = web.match[1]!;
  const sent = new Map<string, number>();
  const http: number[] = [];
  const refused: string[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    const tag = `t${phaseIndex}x${i}`;
    const kind = i % 10;
    // 6 in 10 start a run (5 comments, 1 slash command), 2 have a bad tag (a reply), 1 is refused (read-only
    // user), 1 is conversation.
    const body = kind < 6 ? `/build image tag=${tag}` : kind < 8 ? `/build image tag=bad${tag}!` : kind === 8 ? `/build image tag=${tag}` : `LGTM, thanks ${tag}`;
    const user = kind === 8 ? "reader" : `dev${i % 10}`;
    const at = performance.now();
    if (kind < 8) sent.set(tag, at);
    const request =
      kind === 5
        ? postSigned(`${url}/slack/events`, signSlackBody(slackSecret, slashCommandBody({ text: `build image tag=${tag} repo=${repo} pr=${1 + (i % prs)}`, userId: slackUser(i % 10), channelId: channel, responseUrl: slack.responseUrl() }), formType))
        : sendWebhook(`${url}/api/github/webhooks`, { name: "issue_comment", payload: issueCommentEvent({ repo, prNumber: 1 + (i % prs), user, body, installationId: 1 }), secret });
    inflight.push(
      request.then(
        (res) => {
          http.push(performance.now() - at);
          if (res.status !== 200) refused.push(tag);
        },
        () => void refused.push(tag), // not acknowledged: GitHub would show a failed delivery
      ),
    );
  }
  await Promise.all(inflight);
  for (const tag of refused) sent.delete(tag);
  const deadline = Date.now() + 120_000;
  const finished = () => [...sent.keys()].filter((t) => done.has(t)).length;
  while (finished() < sent.size && Date.now() < deadline) {
    scanReplies();
    await sleep(50);
  }
  scanReplies();
  const latencies = [...sent.entries()].filter(([t]) => done.has(t)).map(([t, at]) => done.get(t)! - at).sort((a, b) => a - b);
  const last = Math.max(...[...sent.keys()].filter((t) => done.has(t)).map((t) => done.get(t)!));
  const rss = { web: rssMb(web.child.pid!), worker: Math.max(...pool.map((p) => rssMb(p.child.pid!))) };
  await Promise.all([web.stop(), ...pool.map((p) => p.stop())]);
  await deletePrefix(redis, prefix);
  http.sort((a, b) => a - b);
  phases.push({ refused: refused.length, workers, throughput: latencies.length / ((last - start) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), completed: latencies.length, expected: sent.size, httpP99: percentile(http, 99), rss });
  const p = phases.at(-1)!;
  console.log(
    `1 web + ${workers} worker${workers > 1 ? "s" : ""}: ${round(p.throughput)} commands/s sustained (offered ${round((rate * 8) / 10)}/s of ${rate} webhooks and slash commands/s), webhook → effect p50 ${round(p.p50)} ms p99 ${round(p.p99)} ms, ${p.completed}/${p.expected} done, ${p.refused} webhooks not acknowledged; webhook HTTP p99 ${round(p.httpP99)} ms; RSS web ${round(p.rss.web)} MiB, worker ${round(p.rss.worker)} MiB`,
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
const byWorkers = new Map(phases.map((p) => [p.workers, p]));
const base = byWorkers.get(workerCounts[0]!)!;
const scaling = phases.map((p) => `${p.workers}w ${round(p.throughput)}/s p99 ${Math.round(p.p99)} ms`).join(", ");
const ratios = phases.slice(1).map((p) => `${p.workers}w/${base.workers}w ${round(p.throughput / base.throughput, 2)}x`).join(", ");
const allDone = phases.every((p) => p.completed === p.expected);
console.log(`summary: ${scaling}; scaling ${ratios} (2 cores shared by everything); Redis ${round(per10k(keyBytes))} MiB per 10k tracked PRs; RSS web ${round(Math.max(...phases.map((p) => p.rss.web)))} MiB worker ${round(Math.max(...phases.map((p) => p.rss.worker)))} MiB; ${allDone ? "no command lost" : "SOME COMMANDS NOT DONE"}`);
process.exit(allDone ? 0 : 1);
