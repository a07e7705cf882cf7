// npx tsx bench/slack-bench.ts — Slack intake and live messages, measured.
//
// mario runs in this process (startMario, real Redis at REDIS_URL) against the loopback fakes of Slack, GitHub and
// the Kubernetes API. Signed `/mario build` slash commands are sent at a steady rate; for each we measure the HTTP
// acknowledgement (Slack allows 3 s), the time until its PipelineRun exists, and until its channel message is
// posted. Then every run moves through 8 visible changes at once (start, 6 tasks, finish) and we count the
// chat.update calls that reached Slack. Every loop is bounded; every address is loopback.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { parse, stringify } from "yaml";
import { parseConfig } from "../src/config/load-config.js";
import { startMario } from "../src/mario.js";
import { packageRoot } from "../src/package-root.js";
import { loadSettings } from "../src/settings.js";
import { startFakeGitHub } from "../test/fakes/fake-github.js";
import { startFakeKube } from "../test/fakes/fake-kube.js";
import { startFakeSlack } from "../test/fakes/fake-slack.js";
import { formType, postSigned, signSlackBody, slashCommandBody } from "../test/fakes/fake-slack-requests.js";

const rate = Number(process.env.BENCH_RATE ?? 20); // commands per second
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const interval = Number(process.env.BENCH_UPDATE_INTERVAL_MS ?? 1000);
const total = rate * seconds;
const secret = "bench-slack-signing-secret";
const repo = "octo/bench";
const channel = "C0BENCH";
const prs = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const ms = (x: number) => `${Math.round(x)} ms`;

async function until(probe: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const [github, kube, slack] = await Promise.all([startFakeGitHub({ validate: false }), startFakeKube({ bookmarkIntervalMs: 0 }), startFakeSlack()]);
github.state.addRepo(repo);
for (let n = 1; n <= prs; n++) github.state.addPullRequest(repo, { number: n, user: "author", title: `PR ${n}` });
github.state.setPermission(repo, "alice", "write");
slack.addChannel(channel);

const config = { ...parse(readFileSync(join(packageRoot, "config", "mario.yaml"), "utf8")), slack: { users: { U0ALICE: "alice" }, updateIntervalMs: interval } };
const prefix = `mario-bench-${randomUUID().slice(0, 8)}`;
const mario = await startMario({
  settings: loadSettings({
    APP_ID: "1",
    PRIVATE_KEY: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    WEBHOOK_SECRET: "bench-webhook-secret",
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    MARIO_REDIS_PREFIX: prefix,
    PORT: "0",
    HOST: "127.0.0.1",
    PUBLIC_URL: "https://mario.example.test",
    SLACK_SIGNING_SECRET: secret,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
  }),
  config: parseConfig(stringify(config)),
  kubeConfig: kube.kubeConfig(),
  log: pino({ level: "silent" }),
});
const events = `${mario.url}/slack/events`;

// Warm-up (first JWT, installation token, module loading) is not what we measure.
await postSigned(events, signSlackBody(secret, slashCommandBody({ text: `build image tag=warm repo=${repo} pr=1`, userId: "U0ALICE", channelId: channel, responseUrl: slack.responseUrl() }), formType));
await until(() => slack.messages(channel).length === 1, "warm-up message");

// Poll the fakes for each command's PipelineRun and message, while the commands are being sent.
const runAt = new Map<string, number>();
const messageAt = new Map<string, number>();
const polling = (async () => {
  const deadline = Date.now() + 120_000;
  while ((runAt.size < total || messageAt.size < total) && Date.now() < deadline) {
    const now = performance.now();
    for (const r of kube.pipelineRuns("mario")) {
      const tag = /:(b\d+)$/.exec(r.spec.params.find((p: { name: string }) => p.name === "IMAGE")?.value ?? "")?.[1];
      if (tag && !runAt.has(tag)) runAt.set(tag, now);
    }
    for (const m of slack.messages(channel)) {
      const tag = /tag=(b\d+)/.exec(m.text)?.[1];
      if (tag && !messageAt.has(tag)) messageAt.set(tag, now);
    }
    await sleep(100); // the fake cluster deep-copies on every read: poll gently, it shares the CPU with mario
  }
})();

const sent: { at: number; ack: number; tag: string }[] = [];
const start = performance.now();
const inflight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await sleep(wait);
  const tag = `b${i}`;
  const body = slashCommandBody({ text: `build image tag=${tag} repo=${repo} pr=${(i % prs) + 1}`, userId: "U0ALICE", channelId: channel, responseUrl: slack.responseUrl() });
  inflight.push(
    (async () => {
      const at = performance.now();
      const res = await postSigned(events, signSlackBody(secret, body, formType));
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      sent.push({ at, ack: performance.now() - at, tag });
    })(),
  );
}
await Promise.all(inflight);
await polling;

const acks = sent.map((s) => s.ack);
const toRun = sent.filter((s) => runAt.has(s.tag)).map((s) => runAt.get(s.tag)! - s.at);
const toMessage = sent.filter((s) => messageAt.has(s.tag)).map((s) => messageAt.get(s.tag)! - s.at);

// Each run: 8 visible changes at once; count the chat.update calls they cost.
const updatesBefore = slack.callsOf("chat.update").length;
const names = kube.pipelineRuns("mario").map((r) => r.metadata.name as string);
const tasks = ["a", "b", "c", "d", "e", "f"];
for (const name of names) {
  kube.startRun("mario", name, { tasks: tasks.map((t) => ({ name: t })) });
  for (const t of tasks) kube.finishTask("mario", name, t, "Succeeded");
  kube.finishRun("mario", name, { status: "True", reason: "Succeeded" });
}
// Finished: Succeeded (another replica-level feature, such as pruning, may end a run differently).
const finished = (text: string) => !/^(Starting|Queued|Running|Waiting)/.test(text);
await until(() => slack.messages(channel).every((m) => finished(m.text)), "every message to show a finished run", 120_000).catch((error: unknown) => {
  const states = new Map<string, number>();
  for (const m of slack.messages(channel)) states.set(m.text.split(":")[0]!, (states.get(m.text.split(":")[0]!) ?? 0) + 1);
  console.error("message states:", Object.fromEntries(states), "runs:", names.length, "messages:", slack.messages(channel).length);
  throw error;
});
await sleep(interval + 500);
const updates = slack.callsOf("chat.update").length - updatesBefore;

console.log(`slash commands: ${total} at ${rate}/s over ${seconds}s; updateIntervalMs ${interval}`);
console.log(`ack (HTTP 200 to Slack):       p50 ${ms(percentile(acks, 50))}  p99 ${ms(percentile(acks, 99))}  max ${ms(Math.max(...acks))}`);
console.log(`command → PipelineRun created: p50 ${ms(percentile(toRun, 50))}  p99 ${ms(percentile(toRun, 99))}  (${toRun.length}/${total})`);
console.log(`command → channel message:     p50 ${ms(percentile(toMessage, 50))}  p99 ${ms(percentile(toMessage, 99))}  (${toMessage.length}/${total})`);
console.log(`live updates: ${names.length} runs × 8 visible changes = ${names.length * 8} changes → ${updates} chat.update calls (${(updates / names.length).toFixed(2)} per run); final state shown on every message`);
console.log(`Slack Web API calls in total: ${slack.calls.filter((c) => c.method !== "response_url").length}; violations: ${slack.violations.length}`);

await mario.close();
await Promise.all([github.close(), kube.close(), slack.close()]);
process.exit(0);
