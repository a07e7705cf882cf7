import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultConfigPath } from "../../src/config/load-config.js";
import { buildPipelineRun } from "../../src/kube/build-pipeline-run.js";
import { kubeTekton } from "../../src/kube/kube-tekton.js";
import { issueCommentEvent, sendWebhook } from "../fakes/fake-github.js";
import { repo, settle, startTestMario, waitFor, webhookSecret, type TestMario } from "../support/test-mario.js";

// One mario for the file; each test uses its own PR so replies never mix.
let t: TestMario;
let nextPr = 100;
let pr: number;
beforeAll(async () => {
  t = await startTestMario();
});
afterAll(async () => {
  t.github.assertNoViolations();
  await t.close();
});
beforeEach(() => {
  pr = nextPr++;
  t.github.state.addPullRequest(repo, { number: pr, user: "carol", title: `PR ${pr}` });
});

const ns = "mario";
const runsFor = (n: number) => t.kube.pipelineRuns(ns).filter((r) => r.metadata.labels["mario.dev/pr"] === String(n));
const repliesOn = (n: number) => t.github.state.comments(repo, n).filter((c) => c.user.type === "Bot");
const reply = (n: number) => waitFor(() => repliesOn(n)[0]?.body, `a reply on #${n}`);
const say = (body: string, o: Parameters<TestMario["comment"]>[1] = {}) => t.comment(body, { prNumber: pr, ...o });

async function expectNothing(n = pr) {
  await settle();
  expect(runsFor(n)).toEqual([]);
  expect(repliesOn(n)).toEqual([]);
}

describe("webhook intake", () => {
  it("rejects a bad signature and queues nothing", async () => {
    const payload = issueCommentEvent({ repo, prNumber: pr, user: "alice", body: "/build image", installationId: 1 });
    const bad = await sendWebhook(`${t.mario.url}/api/github/webhooks`, { name: "issue_comment", payload, secret: "wrong-secret" });
    expect(bad.status).toBe(400);
    const missing = await sendWebhook(`${t.mario.url}/api/github/webhooks`, { name: "issue_comment", payload, secret: webhookSecret, signature: null });
    expect(missing.status).toBeGreaterThanOrEqual(400);
    await expectNothing();
  });

  it("processes the same delivery once", async () => {
    const first = await say("/build image tag=once");
    await say("/build image tag=once", { deliveryId: first.deliveryId });
    await waitFor(() => runsFor(pr).length === 1, "one run");
    await settle();
    expect(runsFor(pr)).toHaveLength(1);
    expect(repliesOn(pr)).toHaveLength(1); // the run's own comment
  });

  it("ignores bots (mario included), edited comments and closed PRs", async () => {
    await say("/build image", { user: "mario[bot]", userType: "Bot" });
    await say("/build image", { action: "edited" });
    await say("/build image", { issueState: "closed" });
    await expectNothing();
  });

  it("answers a command on an issue that is not a PR, and starts nothing", async () => {
    const issue = t.github.state.addIssue(repo, { number: 5000 + pr, title: "a bug" });
    await t.comment("/build image", { prNumber: issue.number, isPullRequest: false });
    expect(await reply(issue.number)).toContain("`/build` only works on pull requests");
    expect(runsFor(issue.number)).toEqual([]);
  });

  it("ignores commands in quotes, code fences and indented code, with no reply", async () => {
    await say("> /build image\n\n```\n/build image\n```\n\n    /build image\n<!-- /build image -->");
    await expectNothing();
  });

  it("ignores a command GitHub shows inside a quote (right after a quoted line) or a <pre> block, with no reply", async () => {
    await say("> carol wrote:\n/build image\n\n<pre>\n/build image\n</pre>\n\n* steps\n    ```\n  /build image\n    ```");
    await expectNothing();
  });

  it("ignores other bots' verbs listed in ignoreVerbs", async () => {
    await say("/assign @alice\n/cc @bob");
    await expectNothing();
  });
});

describe("authorization", () => {
  it("refuses /build from a read-only collaborator, politely, and runs nothing", async () => {
    await say("/build image", { user: "bob" });
    const text = await reply(pr);
    expect(text).toContain("@bob");
    expect(text).toContain("`/build` needs write access to the repository octo/demo; you have read access, so I did not run it");
    expect(runsFor(pr)).toEqual([]);
  });

  it("refuses a non-collaborator", async () => {
    await say("/build image", { user: "mallory" });
    expect(await reply(pr)).toContain("you have no access");
    expect(runsFor(pr)).toEqual([]);
  });

  it("lets anyone ask for /help", async () => {
    await say("/help", { user: "mallory" });
    const text = await reply(pr);
    expect(text).toContain("| `/build image [tag=<tag>] [context=<context>] [dockerfile=<dockerfile>]` |");
  });

  it("answers /HELP build (verbs are case-insensitive) with build's own help, every argument included", async () => {
    await say("/HELP build", { user: "mallory" });
    const text = await reply(pr);
    expect(text).toContain("**`/build image [tag=<tag>] [context=<context>] [dockerfile=<dockerfile>]`** — Build the pull request's head commit");
    expect(text).toContain("| argument | required | default | accepted values | meaning |");
    for (const arg of ["`target (positional)`", "`tag=`", "`context=`", "`dockerfile=`"]) expect(text).toContain(`| ${arg} |`);
    expect(text).toContain("`pr-{{pr.number}}`");
    expect(runsFor(pr)).toEqual([]);
  });
});

describe("malformed commands get a reply with usage, and nothing runs", () => {
  it.each([
    ["an unknown verb", "/frobnicate now", ["I don't know `/frobnicate`", "`/help`", "`/build`"]],
    ["a missing required argument", "/build", ["missing required argument `<target>`", "Usage: `/build image"]],
    ["shell in a value", "/build image tag=$(reboot)", ["`$(reboot)` is not a valid tag", "Usage:"]],
    ["a 300-character value", `/build image tag=${"x".repeat(300)}`, ["`tag` is 300 characters long; the limit is 256", "Usage: `/build image"]],
    ["unbalanced quotes", '/build image tag="mario', ["the quote opened in `tag` is never closed", "Usage:"]],
    ["a duplicated key", "/build image tag=a tag=b", ["`tag`", "twice"]],
    ["an unknown key", "/build image colour=red", ["unknown argument `colour`; accepted: tag, context, dockerfile"]],
    ["a non-ASCII look-alike in a value", "/build image tag=mаrio", ["is not a valid tag"]],
    ["a look-alike in a key", "/build image tаg=mario", ["`/build image tаg=mario`", "argument key `tаg` contains `а` (U+0430); keys are ASCII letters"]],
  ])("%s", async (_name, body, expected) => {
    await say(body);
    const text = await reply(pr);
    for (const e of expected) expect(text).toContain(e);
    expect(text.startsWith("@alice: ")).toBe(true);
    expect(runsFor(pr)).toEqual([]);
  });

  it("ignores look-alike slashes entirely", async () => {
    await say("／build image\n∕build image\n⁄build image");
    await expectNothing();
  });

  it("answers a 1 MB comment that holds a command with the size limit, and runs nothing", async () => {
    await say(`/build image\n${"x".repeat(1024 * 1024)}`);
    const text = await reply(pr);
    expect(text).toMatch(/1048\d{3} bytes/);
    expect(text).toContain("65536");
    expect(runsFor(pr)).toEqual([]);
  });

  it("says nothing about a 1 MB comment without commands", async () => {
    await say(`/usr/bin/env: node: not found\n${"log line\n".repeat(120_000)}`);
    await expectNothing();
  });

  it("refuses 500 commands in one comment, running none", async () => {
    await say(Array.from({ length: 500 }, (_, i) => `/build image tag=t${i}`).join("\n"));
    expect(await reply(pr)).toContain("500 commands");
    expect(runsFor(pr)).toEqual([]);
  });

  it("gathers several problems into one reply and still runs the good command", async () => {
    await say("/frobnicate\n/build image tag=good\n/build image tag=$(bad)");
    await waitFor(() => runsFor(pr).length === 1, "the good run");
    const text = await waitFor(() => repliesOn(pr).find((c) => c.body.startsWith("@alice:"))?.body, "the reply");
    expect(text).toContain("/frobnicate");
    expect(text).toContain("`$(bad)` is not a valid tag");
    await settle();
    expect(runsFor(pr)).toHaveLength(1);
    expect(repliesOn(pr).filter((c) => c.body.startsWith("@alice:"))).toHaveLength(1);
  });
});

describe("configurable limits", () => {
  it("refuses a command with more arguments than limits.maxArgsPerCommand, and runs nothing", async () => {
    const config = readFileSync(defaultConfigPath, "utf8").replace("maxArgsPerCommand: 16", "maxArgsPerCommand: 3");
    expect(config).toContain("maxArgsPerCommand: 3");
    const strict = await startTestMario({ config });
    try {
      await strict.comment("/build image tag=a context=. dockerfile=Dockerfile");
      const text = await waitFor(() => strict.github.state.comments(repo, 42).find((c) => c.user.type === "Bot")?.body, "the reply");
      expect(text).toContain("more than 3 arguments on one line; at most 3 are allowed");
      await settle();
      expect(strict.kube.pipelineRuns(ns)).toEqual([]);
      strict.github.assertNoViolations();
    } finally {
      await strict.close();
    }
  });
});

describe("PipelineRuns someone else labelled managed-by=mario", () => {
  it("are never reported, whatever PR and installation they name; mario's own runs still are", async () => {
    const pull = t.github.state.pullRequest(repo, pr);
    const cluster = kubeTekton(t.kube.kubeConfig());
    const context = {
      repo: { owner: "octo", name: "demo", fullName: repo, cloneUrl: "https://github.com/octo/demo.git", htmlUrl: "https://github.com/octo/demo" },
      pr: { number: pr, headSha: pull.head.sha, headRef: pull.head.ref, baseRef: pull.base.ref, baseSha: pull.base.sha },
      requester: "mallory",
      command: "build",
      args: { target: "image", tag: "evil", context: ".", dockerfile: "Dockerfile" },
    };
    // What anyone allowed to create PipelineRuns in the namespace can write: mario's labels, without its signature.
    const forged = buildPipelineRun({ name: "forged-run", verb: "build", pipeline: t.config.commands.build!.pipeline, defaults: t.config.defaults, context, commandLine: "/build image", prUrl: "javascript:alert(1)", installationId: 1, checkName: "mario/build image" });
    await cluster.createPipelineRun(ns, forged);
    t.kube.startRun(ns, "forged-run", { tasks: [{ name: "build" }] });
    t.kube.finishRun(ns, "forged-run", { status: "True", reason: "Succeeded" });

    // mario's own run, created after it: once it is reported, the watcher has seen the forged one too.
    await say("/build image tag=real");
    const real = await waitFor(() => runsFor(pr).find((r) => r.metadata.name !== "forged-run"), "mario's run");
    await waitFor(() => t.github.state.checkRuns(repo, pull.head.sha).length > 0, "mario's check run");
    // A copy of mario's signed metadata on another run does not verify either (the signature covers the name).
    await cluster.createPipelineRun(ns, { ...real, metadata: { name: "copied-run", namespace: ns, labels: real.metadata.labels, annotations: real.metadata.annotations } });
    t.kube.startRun(ns, "copied-run", { tasks: [{ name: "build" }] });
    t.kube.finishRun(ns, "copied-run", { status: "False", reason: "Failed" });
    await settle(1000);

    expect(t.github.state.checkRuns(repo, pull.head.sha).map((c) => c.externalId)).toEqual([`${ns}/${real.metadata.name}`]);
    expect(repliesOn(pr)).toHaveLength(1);
    expect(real.metadata.annotations["mario.dev/signature"]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const name of ["forged-run", "copied-run"]) expect((await fetch(`${t.mario.url}/runs/${ns}/${name}`)).status).toBe(404);
  });
});
