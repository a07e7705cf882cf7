import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import type { RunState } from "../../src/runs/run-status.js";
import { poolStore } from "../../src/merge-queue/pool-store.js";
import { channelSettings } from "../../src/slack/channel-settings.js";
import { createNotify } from "../../src/slack/notify.js";
import { slackConfigSchema } from "../../src/slack/slack-config.js";
import { webSlack } from "../../src/slack/web-slack.js";
import { startFakeSlack, type FakeSlack } from "../fakes/fake-slack.js";
import { deleteKeys, redisUrl, uniquePrefix } from "../support/test-redis.js";
import { publicUrl, repo, waitFor } from "../support/test-mario.js";
import { answerText, blockText, buttons, channel, startSlackMario, users, type SlackMario } from "./slack-test-kit.js";

const ns = "mario";

describe("subscriptions through mario", () => {
  let s: SlackMario;
  afterEach(async () => {
    s.t.github.assertNoViolations();
    s.slack.assertNoViolations();
    await s.close();
  });

  it("mirrors a run started by a PR comment to a channel subscribed with `all`, as a live message", async () => {
    s = await startSlackMario();
    const refused = await s.slash(`subscribe ${repo} all`, { user: users.bob });
    expect(await waitFor(() => answerText(s.slack, refused.responseUrl), "refusal")).toContain("Subscribing a channel needs write access");
    const bad = await s.slash(`subscribe ${repo} everything`);
    expect(await waitFor(() => answerText(s.slack, bad.responseUrl), "usage")).toContain("Say what to post: `failures`, `merges`, `all`");
    const ok = await s.slash(`subscribe ${repo} all`);
    expect(await waitFor(() => answerText(s.slack, ok.responseUrl), "confirmation")).toContain("a live message for every run, every periodic result, and merges and removals from the merge queue of `octo/demo`");

    await s.t.comment("/build image tag=from-github");
    const run = await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun");
    const name: string = run.metadata.name;
    const message = await waitFor(() => s.slack.messages(channel)[0], "the mirrored message");
    expect(blockText(message.blocks)).toContain("Requested by @alice"); // the GitHub login: nobody asked in Slack
    s.t.kube.startRun(ns, name, { tasks: [{ name: "build" }] });
    s.t.kube.finishRun(ns, name, { status: "False", reason: "Failed", message: "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0" });
    await waitFor(() => blockText(s.slack.messages(channel)[0]!.blocks).includes("Failed"), "the mirrored failure");
    expect(buttons(s.slack.messages(channel)[0]!.blocks)).toEqual(["mario_retry"]);
    expect(s.slack.messages(channel)).toHaveLength(1);

    const off = await s.slash(`unsubscribe ${repo}`);
    expect(await waitFor(() => answerText(s.slack, off.responseUrl), "unsubscribed")).toContain("No more notifications of `octo/demo` here");
    await s.t.comment("/build image tag=quiet");
    await waitFor(() => s.t.kube.pipelineRuns(ns).length === 2, "a second PipelineRun");
    await waitFor(() => s.t.github.state.checkRuns(repo).length === 2, "its check run");
    expect(s.slack.messages(channel)).toHaveLength(1);
  });

  it("keeps who asked on the message when the mirror of a subscribed channel records the run before the slash command does", async () => {
    s = await startSlackMario({ env: { KUBE_REQUEST_TIMEOUT_MS: "10000" } });
    const subscribed = await s.slash(`subscribe ${repo} all`);
    await waitFor(() => answerText(s.slack, subscribed.responseUrl), "subscribed");
    // The PipelineRun exists (and is watched, reported and mirrored) while the command still waits for its answer.
    const release = s.t.kube.holdResponse({ method: "POST", path: /\/pipelineruns$/ });
    await s.slash(`build image repo=${repo} pr=42`);
    const mirrored = await waitFor(() => s.slack.messages(channel)[0], "the mirrored message");
    expect(blockText(mirrored.blocks)).toContain("Requested by @alice");
    release();
    await waitFor(() => blockText(s.slack.messages(channel)[0]!.blocks).includes(`Requested by <@${users.alice}>`), "the requester on the message");
    expect(s.slack.messages(channel)).toHaveLength(1);
  });

  it("`/mario status <run>` shows state, tasks and the log link to users with read access", async () => {
    s = await startSlackMario();
    await s.slash(`build image repo=${repo} pr=42`);
    const name = (await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun")).metadata.name as string;
    s.t.kube.startRun(ns, name, { tasks: [{ name: "fetch" }, { name: "build" }] });
    s.t.kube.finishTask(ns, name, "fetch", "Succeeded");
    await waitFor(async () => (await fetch(`${s.t.mario.url}/runs/${ns}/${name}`)).ok, "the run recorded");
    await waitFor(() => blockText(s.slack.messages(channel)[0]?.blocks ?? []).includes("1/2"), "one task done");

    const status = await s.slash(`status ${name}`, { user: users.bob });
    const text = await waitFor(() => answerText(s.slack, status.responseUrl), "status");
    expect(text).toContain("*Running*");
    expect(text).toContain("Tasks (1/2 done)");
    expect(text).toContain("• `fetch` succeeded");
    expect(text).toMatch(new RegExp(`<${publicUrl}/runs/${ns}/${name}(\\?token=[^|>]+)?\\|Logs>`));
    const nobody = await s.slash(`status ${name}`, { user: users.erin });
    expect(await waitFor(() => answerText(s.slack, nobody.responseUrl), "refusal")).toContain("I don't know who you are on GitHub");
    const unknown = await s.slash("status mario-build-1-ffffffffff");
    expect(await waitFor(() => answerText(s.slack, unknown.responseUrl), "unknown run")).toContain("I don't know a run called `mario-build-1-ffffffffff`");
  });

  it("`/mario status <log link>` finds a private repository's run from its signed link (?token=…)", async () => {
    s = await startSlackMario();
    s.t.github.state.addRepo(repo, { private: true });
    await s.slash(`build image repo=${repo} pr=42`);
    const name = (await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun")).metadata.name as string;
    const message = await waitFor(() => s.slack.messages(channel)[0], "the run message");
    const link = new RegExp(`<(${publicUrl}/runs/${ns}/${name}\\?token=[^|>]+)\\|Logs>`).exec(blockText(message.blocks))?.[1];
    expect(link).toBeDefined();
    // As typed, and as Slack sends a link it recognized (<url>).
    for (const typed of [link!, `<${link!}>`]) {
      const status = await s.slash(`status ${typed}`, { user: users.bob });
      const text = await waitFor(() => answerText(s.slack, status.responseUrl), "status");
      expect(text).toContain(`Run \`${ns}/${name}\``);
    }
  });

  it("`/mario queue` says clearly when the merge queue is not enabled", async () => {
    s = await startSlackMario({ configure: (c) => void (c.mergeQueue = { ...c.mergeQueue, enabled: false }) });
    const res = await s.slash(`queue ${repo}`);
    expect(await waitFor(() => answerText(s.slack, res.responseUrl), "queue answer")).toBe("The merge queue is not enabled for `octo/demo`.");
  });

  it("`/mario queue` shows the pools of the channel's repository: order, what is being tested, what each PR lacks", async () => {
    s = await startSlackMario();
    const redis = new Redis(redisUrl(), { protocol: 2 });
    const pools = poolStore(redis, `${s.t.prefix}:`);
    const view = { baseSha: "b".repeat(40), updatedAt: new Date().toISOString(), inFlight: [{ id: "r1", prs: [7, 9], state: "running", startedAt: new Date().toISOString() }] };
    await pools.saveView({
      pool: "octo/demo:main",
      ...view,
      queue: [
        { number: 9, sha: "9".repeat(40), position: 2, batch: "r1", testing: true },
        { number: 7, sha: "7".repeat(40), position: 1, batch: "r1", testing: true },
        { number: 12, sha: "c".repeat(40), position: 3, batch: "", testing: false },
      ],
      waiting: [{ number: 15, sha: "f".repeat(40), missing: "label approved", state: "pending" }],
    });
    await pools.saveView({ pool: "octo/other:main", ...view, queue: [{ number: 99, sha: "e".repeat(40), position: 1, batch: "", testing: false }], waiting: [] });
    redis.disconnect();

    const bound = await s.slash(`bind ${repo}`);
    await waitFor(() => answerText(s.slack, bound.responseUrl), "bound");
    const res = await s.slash("queue");
    const text = await waitFor(() => answerText(s.slack, res.responseUrl), "the queue");
    expect(text.split("\n")).toEqual([
      "*Merge queue of octo/demo*",
      "*main* — testing #7+#9",
      "1. #7 — missing: its test run to finish",
      "2. #9 — missing: its test run to finish",
      "3. #12 — ready",
      "• #15 — missing: label approved",
    ]);
    const refused = await s.slash(`queue ${repo}`, { user: users.erin });
    expect(await waitFor(() => answerText(s.slack, refused.responseUrl), "refusal")).toContain("I don't know who you are on GitHub");
  });
});

describe("notify(event), the seam other features call", () => {
  let slack: FakeSlack;
  let redis: Redis;
  let prefix: string;
  afterEach(async () => {
    slack.assertNoViolations();
    await slack.close();
    redis.disconnect();
    await deleteKeys(prefix);
  });

  async function setup() {
    slack = await startFakeSlack();
    for (const c of ["C0FAIL", "C0MERGE", "C0ALL", "C0QUIET"]) slack.addChannel(c);
    redis = new Redis(redisUrl(), { protocol: 2 });
    prefix = `${uniquePrefix()}:`;
    const config = slackConfigSchema.parse({
      channels: [
        { channel: "C0FAIL", subscribe: [{ repo, events: ["failures"] }] },
        { channel: "C0MERGE", subscribe: [{ repo, events: ["merges"] }] },
        { channel: "C0QUIET", subscribe: [{ repo: "octo/other", events: ["all"] }] },
      ],
    });
    const channels = channelSettings(redis, prefix, config);
    await channels.subscribe("C0ALL", { owner: "octo", name: "demo" }, "all");
    const port = webSlack({ botToken: slack.botToken, apiUrl: slack.apiUrl });
    const sent = new Set<string>();
    // The queue's job id makes a repeated event a no-op; a Set stands in for it here.
    const notify = createNotify({ channels, enqueue: async (job, id) => void (sent.has(id) || (sent.add(id), await port.postMessage(job.channel, job.message))) });
    return notify;
  }

  const demo = { owner: "octo", name: "demo" };
  const periodic = (state: RunState, name: string) => ({ kind: "periodic-result" as const, repo: demo, job: "nightly", state, logUrl: `${publicUrl}/runs/${ns}/${name}`, id: `${ns}/${name}` });

  it("sends failed periodic jobs to `failures` and `all`, every other periodic result to `all`, merges to `merges` and `all`, each once", async () => {
    const notify = await setup();
    await notify(periodic("failed", "mario-nightly-0-abc"));
    await notify(periodic("failed", "mario-nightly-0-abc"));
    await notify(periodic("succeeded", "mario-nightly-0-def"));
    await notify({ kind: "merged", repo: demo, pr: 42, title: "Add a <feature>", sha: "abc123", url: "https://github.com/octo/demo/pull/42" });
    await notify({ kind: "removed-from-queue", repo: demo, pr: 43, reason: "the batch failed `unit`", id: "1" });

    const texts = (c: string) => slack.messages(c).map((m) => m.text);
    expect(texts("C0FAIL")).toEqual([`❌ Periodic job \`nightly\` of \`octo/demo\`: *Failed* — <${publicUrl}/runs/${ns}/mario-nightly-0-abc|logs>`]);
    expect(texts("C0MERGE")).toEqual(["🔀 Merged <https://github.com/octo/demo/pull/42|octo/demo#42>: Add a &lt;feature&gt;", "⚠️ octo/demo#43 left the merge queue: the batch failed `unit`"]);
    expect(texts("C0ALL")).toHaveLength(4);
    expect(texts("C0QUIET")).toEqual([]);
  });
});
