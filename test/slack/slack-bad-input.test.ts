import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { actionIds } from "../../src/slack/render-slack-run.js";
import { addOrgMember } from "../fakes/github-org-routes.js";
import { formType, postSigned, signSlackBody, slashCommandBody } from "../fakes/fake-slack-requests.js";
import { repo, settle, waitFor } from "../support/test-mario.js";
import { answerText, channel, signingSecret, startSlackMario, users, type SlackMario } from "./slack-test-kit.js";

let s: SlackMario;
beforeEach(async () => {
  s = await startSlackMario();
});
afterEach(async () => {
  s.t.github.assertNoViolations();
  s.slack.assertNoViolations();
  await s.close();
});

const ns = "mario";
const answer = (responseUrl: string) => waitFor(() => answerText(s.slack, responseUrl), "the ephemeral answer");

describe("requests that are not from Slack", () => {
  const body = () => slashCommandBody({ text: `build image repo=${repo} pr=42`, userId: users.alice, channelId: channel, responseUrl: s.slack.responseUrl() });

  it("refuses unsigned, wrongly signed and stale requests with 401 and runs nothing", async () => {
    const unsigned = await fetch(s.events, { method: "POST", headers: { "content-type": formType }, body: body() });
    expect(unsigned.status).toBe(401);
    const wrong = await postSigned(s.events, signSlackBody("not-the-secret", body(), formType));
    expect(wrong.status).toBe(401);
    const stale = await postSigned(s.events, signSlackBody(signingSecret, body(), formType, Math.floor(Date.now() / 1000) - 6 * 60));
    expect(stale.status).toBe(401);
    const tampered = signSlackBody(signingSecret, body(), formType);
    const res = await postSigned(s.events, { ...tampered, body: tampered.body.replace("pr%3D42", "pr%3D43") });
    expect(res.status).toBe(401);
    await settle();
    expect(s.t.kube.pipelineRuns(ns)).toEqual([]);
    expect(s.slack.responses()).toEqual([]);
  });

  it("refuses a replayed request (same signature) with 401; the original runs once", async () => {
    const signed = signSlackBody(signingSecret, body(), formType);
    expect((await postSigned(s.events, signed)).status).toBe(200);
    expect((await postSigned(s.events, signed)).status).toBe(401);
    await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "the PipelineRun");
    await settle();
    expect(s.t.kube.pipelineRuns(ns)).toHaveLength(1);
  });

  it("runs the same slash command delivered twice (same trigger id, signed anew) once", async () => {
    const responseUrl = s.slack.responseUrl();
    const fields = { text: `build image repo=${repo} pr=42`, userId: users.alice, channelId: channel, responseUrl, triggerId: "1234.5678.same" };
    // Two distinct timestamps, so the second delivery is a retry signed anew, never a byte-for-byte replay.
    const now = Math.floor(Date.now() / 1000);
    const first = await postSigned(s.events, signSlackBody(signingSecret, slashCommandBody(fields), formType, now - 2));
    const second = await postSigned(s.events, signSlackBody(signingSecret, slashCommandBody(fields), formType, now - 1));
    expect([first.status, second.status]).toEqual([200, 200]);
    await waitFor(() => s.slack.messages(channel)[0], "the run message");
    await settle();
    expect(s.t.kube.pipelineRuns(ns)).toHaveLength(1);
    expect(s.slack.messages(channel)).toHaveLength(1);
  });
});

describe("commands that cannot run", () => {
  it("answers an unknown verb with the verbs it knows", async () => {
    const { status, responseUrl } = await s.slash(`frobnicate repo=${repo} pr=42`);
    expect(status).toBe(200);
    const text = await answer(responseUrl);
    expect(text).toContain("I don't know `/mario frobnicate`");
    expect(text).toContain("`build`");
    expect(text).toContain("`/mario help`");
  });

  it("asks for the repository when there is neither repo= nor a channel binding", async () => {
    const { responseUrl } = await s.slash("build image pr=42");
    expect(await answer(responseUrl)).toContain("Which repository? Add `repo=owner/name`, or bind this channel to one with `/mario bind owner/name`");
  });

  it("asks for the PR, and refuses a malformed repo or PR number", async () => {
    expect(await answer((await s.slash(`build image repo=${repo}`)).responseUrl)).toContain("Which pull request of `octo/demo`?");
    expect(await answer((await s.slash("build image repo=octo pr=1")).responseUrl)).toContain("`repo=octo` is not a repository");
    expect(await answer((await s.slash(`build image repo=${repo} pr=12abc`)).responseUrl)).toContain("`pr=12abc` is not a pull request number");
  });

  it("says so when the pull request does not exist", async () => {
    const { responseUrl } = await s.slash(`build image repo=${repo} pr=999`);
    expect(await answer(responseUrl)).toContain("I could not find pull request #999, so `/mario build` did not run.");
    expect(s.t.kube.pipelineRuns(ns)).toEqual([]);
  });

  it("says so when mario is not installed on the repository", async () => {
    const { responseUrl } = await s.slash("build image repo=someone/else pr=1");
    expect(await answer(responseUrl)).toContain("mario is not installed on `someone/else`");
  });

  it("refuses an unmapped Slack user, saying how to get mapped", async () => {
    const { responseUrl } = await s.slash(`build image repo=${repo} pr=42`, { user: users.erin });
    const text = await answer(responseUrl);
    expect(text).toContain("I don't know who you are on GitHub");
    expect(text).toContain(users.erin);
    await settle();
    expect(s.t.kube.pipelineRuns(ns)).toEqual([]);
  });

  it("refuses a user whose GitHub permission is too low, with the same rule as on GitHub", async () => {
    const { responseUrl } = await s.slash(`build image repo=${repo} pr=42`, { user: users.bob });
    expect(await answer(responseUrl)).toContain("`/mario build` needs write access to the repository octo/demo; you have read access");
    await settle();
    expect(s.t.kube.pipelineRuns(ns)).toEqual([]);
  });

  it("keeps the explicit user map working when Slack will not list a user group, and tells a group member why nothing ran", async () => {
    s.slack.failNext("usergroups.users.list", { error: "missing_scope" }, 20);
    const alice = await s.slash(`build image repo=${repo} pr=42`);
    const run = await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "alice's PipelineRun");
    expect(run.metadata.annotations["mario.dev/requester"]).toBe("alice");
    const dave = await s.slash(`build image repo=${repo} pr=42`, { user: users.dave });
    const text = await answer(dave.responseUrl);
    expect(text).toContain("I could not check whether you are in an allowed Slack user group (Slack answered `missing_scope` for the group `S0OPS`)");
    expect(text).toContain("`usergroups:read`");
    await settle();
    expect(s.t.kube.pipelineRuns(ns)).toHaveLength(1);
    expect(s.slack.responses(alice.responseUrl)).toEqual([]);
  });

  it("when Slack keeps failing to list a user group (HTTP 500), a mapped user still acts and a group member is told after the retries", async () => {
    s.slack.failNext("usergroups.users.list", { status: 500 }, 100);
    await s.slash(`build image repo=${repo} pr=42`);
    await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "alice's PipelineRun");
    const dave = await s.slash(`build image repo=${repo} pr=42`, { user: users.dave });
    expect(await answer(dave.responseUrl)).toMatch(/^Sorry, `\/mario build image repo=octo\/demo pr=42` failed: Slack usergroups\.users\.list failed: HTTP 500\. Please try again later\.$/);
    expect(s.t.kube.pipelineRuns(ns)).toHaveLength(1);
  });

  it("answers invalid arguments with the problem and the Slack usage", async () => {
    const { responseUrl } = await s.slash(`build image tag=no;way repo=${repo} pr=42`);
    const text = await answer(responseUrl);
    expect(text).toContain("`no;way` is not a valid tag");
    expect(text).toContain("Usage: `/mario build");
    expect(s.t.kube.pipelineRuns(ns)).toEqual([]);
  });
});

describe("buttons", () => {
  async function runningRun() {
    await s.slash(`build image repo=${repo} pr=42`);
    const run = await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun");
    const name: string = run.metadata.name;
    s.t.kube.startRun(ns, name, { tasks: [{ name: "build" }] });
    // Running for mario too (its watcher saw it), not only in the cluster.
    await waitFor(() => s.t.github.state.checkRuns(repo)[0]?.status === "in_progress", "the run reported running");
    const message = await waitFor(() => s.slack.messages(channel)[0], "the run message");
    return { name, message };
  }

  it("refuses Cancel pressed by someone without permission, and by someone unknown; the run goes on", async () => {
    const { name, message } = await runningRun();
    const bob = await s.press({ actionId: actionIds.cancel, value: `${ns}/${name}`, messageTs: message.ts, user: users.bob });
    expect(bob.status).toBe(200);
    expect(await answer(bob.responseUrl)).toContain("Cancelling `/build image` needs write access to the repository `octo/demo` or membership of `octo`; you have read access (as GitHub user `bob`) and are not a member of `octo`, so I did not do it.");
    const erin = await s.press({ actionId: actionIds.cancel, value: `${ns}/${name}`, messageTs: message.ts, user: users.erin });
    expect(await answer(erin.responseUrl)).toContain("I don't know who you are on GitHub");
    await settle();
    expect(s.t.kube.pipelineRuns(ns)[0].spec.status).toBeUndefined();
  });

  it("lets Cancel follow the rule of /cancel on GitHub (trusted: write access or organization member), not the command's permission", async () => {
    addOrgMember(s.t.github.state, "octo", "bob"); // read access only, but a member of octo
    const { name, message } = await runningRun();
    const bob = await s.press({ actionId: actionIds.cancel, value: `${ns}/${name}`, messageTs: message.ts, user: users.bob });
    expect(await answer(bob.responseUrl)).toContain("Cancelling `/build image`");
    await waitFor(() => s.t.kube.getPipelineRun(ns, name)?.spec.status === "Cancelled", "spec.status Cancelled");
  });

  it("refuses Retry pressed by someone without permission; nothing runs", async () => {
    const { name, message } = await runningRun();
    s.t.kube.finishRun(ns, name, { status: "False", reason: "Failed" });
    await waitFor(() => s.t.github.state.checkRuns(repo).find((c) => c.status === "completed"), "run reported finished");
    const bob = await s.press({ actionId: actionIds.retry, value: `${ns}/${name}`, messageTs: message.ts, user: users.bob });
    expect(await answer(bob.responseUrl)).toContain("Retrying `/build image` needs write access to the repository `octo/demo`; you have read access (as GitHub user `bob`)");
    const erin = await s.press({ actionId: actionIds.retry, value: `${ns}/${name}`, messageTs: message.ts, user: users.erin });
    expect(await answer(erin.responseUrl)).toContain("I don't know who you are on GitHub");
    await settle();
    expect(s.t.kube.pipelineRuns(ns)).toHaveLength(1);
  });

  it("starts one run when Retry is pressed twice (each press has its own trigger id); the other press is told who retried", async () => {
    const { name, message } = await runningRun();
    s.t.kube.finishRun(ns, name, { status: "False", reason: "Failed" });
    await waitFor(() => s.t.github.state.checkRuns(repo).find((c) => c.status === "completed"), "run reported finished");
    const presses = [await s.press({ actionId: actionIds.retry, value: `${ns}/${name}`, messageTs: message.ts, user: users.alice })];
    presses.push(await s.press({ actionId: actionIds.retry, value: `${ns}/${name}`, messageTs: message.ts, user: users.dave }));
    await waitFor(() => s.t.kube.pipelineRuns(ns).length === 2, "the retried PipelineRun");
    const told = await waitFor(() => presses.map((p) => answerText(s.slack, p.responseUrl)).find((text) => text), "the answer to the other press");
    expect(told).toMatch(new RegExp(`^\`/build image\` was just retried by <@(${users.alice}|${users.dave})>; the new run has a message of its own\\.$`));
    await settle();
    expect(s.t.kube.pipelineRuns(ns)).toHaveLength(2);
    expect(presses.filter((p) => answerText(s.slack, p.responseUrl))).toHaveLength(1);
  });

  it("answers Cancel on a finished run, and Retry on a running one, without touching the run", async () => {
    const { name, message } = await runningRun();
    const early = await s.press({ actionId: actionIds.retry, value: `${ns}/${name}`, messageTs: message.ts });
    expect(await answer(early.responseUrl)).toContain("is still running; cancel it first or wait for it to finish");

    s.t.kube.finishRun(ns, name, { status: "True", reason: "Succeeded" });
    await waitFor(() => s.t.github.state.checkRuns(repo).find((c) => c.status === "completed"), "run reported finished");
    const late = await s.press({ actionId: actionIds.cancel, value: `${ns}/${name}`, messageTs: message.ts });
    expect(await answer(late.responseUrl)).toContain("already finished (succeeded); there is nothing to cancel");
    expect(s.t.kube.pipelineRuns(ns)).toHaveLength(1);
    expect(s.t.kube.pipelineRuns(ns)[0].spec.status).toBeUndefined();
  });

  it("answers a button for a run mario does not know", async () => {
    const res = await s.press({ actionId: actionIds.cancel, value: `${ns}/mario-build-1-0000000000`, messageTs: "1.2" });
    expect(await answer(res.responseUrl)).toContain("I no longer know the run");
  });
});

describe("channel binding", () => {
  it("lets only users with enough permission bind; then commands need no repo=", async () => {
    const refused = await s.slash(`bind ${repo}`, { user: users.bob });
    expect(await answer(refused.responseUrl)).toContain("Binding a channel needs write access to the repository `octo/demo`; you have read access");

    const bound = await s.slash(`bind ${repo}`);
    expect(await answer(bound.responseUrl)).toContain("This channel now acts on `octo/demo`");
    await s.slash("build image pr=42");
    await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun from the bound channel");

    // Another channel is not bound.
    s.slack.addChannel("C0OTHER");
    const elsewhere = await s.slash("build image pr=42", { channel: "C0OTHER" });
    expect(await answer(elsewhere.responseUrl)).toContain("Which repository?");

    const unbound = await s.slash("unbind");
    expect(await answer(unbound.responseUrl)).toContain("no longer acts on `octo/demo`");
    const after = await s.slash("build image pr=42");
    expect(await answer(after.responseUrl)).toContain("Which repository?");
  });
});

describe("help", () => {
  it("lists the shared commands with Slack usage and Slack's own verbs, and explains one command", async () => {
    const all = await answer((await s.slash("help", { user: users.erin })).responseUrl);
    expect(all).toContain("`/mario build image [tag=&lt;tag&gt;]"); // Slack shows &lt; as <
    expect(all).toContain("`/mario bind owner/name`");
    expect(all).toContain("`/mario queue [owner/name]`");
    expect(all).toContain("This channel is not bound");
    const one = await answer((await s.slash("help build")).responseUrl);
    expect(one).toContain("`tag=`");
    expect(one).toContain("`/mario build image tag=mario pr=123`");
  });
});
