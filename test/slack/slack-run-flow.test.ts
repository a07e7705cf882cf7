import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { actionIds } from "../../src/slack/render-slack-run.js";
import { publicUrl, repo, waitFor } from "../support/test-mario.js";
import { answerText, blockText, buttons, channel, startSlackMario, users, type SlackMario } from "./slack-test-kit.js";

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

describe("/mario build image tag=mario repo=octo/demo pr=42", () => {
  it("starts the PipelineRun as the mapped GitHub user and keeps one channel message up to date until it succeeds", async () => {
    const pr = s.t.github.state.pullRequest(repo, 42);
    const res = await s.slash(`build image tag=mario repo=${repo} pr=42`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("/mario build image tag=mario") });

    // The same PipelineRun as from a PR comment: head commit, validated args, requested by alice (Slack U0ALICE).
    const run = await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun");
    const name: string = run.metadata.name;
    expect(run.spec.params).toEqual(expect.arrayContaining([{ name: "GIT_REVISION", value: pr.head.sha }, { name: "IMAGE", value: "registry.example.com/octo/demo:mario" }]));
    expect(run.metadata.annotations["mario.dev/requester"]).toBe("alice");
    expect(run.metadata.annotations["mario.dev/command-line"]).toBe("/build image tag=mario");

    // One message in the channel: queued, who asked, PR and log links, a Cancel button.
    const logUrl = `${publicUrl}/runs/${ns}/${name}`;
    const message = await waitFor(() => s.slack.messages(channel)[0], "the run's Slack message");
    const first = blockText(message.blocks);
    expect(first).toMatch(/Queued|Starting/);
    expect(first).toContain("`/build image tag=mario`");
    expect(first).toContain(`<@${users.alice}>`);
    expect(first).toMatch(new RegExp(`<${logUrl}(\\?token=[^|>]+)?\\|Logs>`)); // signed when the repository is private
    expect(first).toContain(`|octo/demo#42>`);
    expect(buttons(message.blocks)).toEqual([actionIds.cancel]);
    expect(message.blocks.find((b) => b.type === "actions")?.elements[0].value).toBe(`${ns}/${name}`);
    // GitHub hears about it as well: the check run on the head.
    await waitFor(() => s.t.github.state.checkRuns(repo, pr.head.sha)[0], "a check run");

    s.t.kube.startRun(ns, name, { tasks: [{ name: "fetch", steps: ["clone"] }, { name: "build", steps: ["build-and-push"] }] });
    await waitFor(() => blockText(s.slack.messages(channel)[0]!.blocks).includes("Running (0/2 tasks done)"), "running 0/2");
    s.t.kube.finishTask(ns, name, "fetch", "Succeeded");
    await waitFor(() => blockText(s.slack.messages(channel)[0]!.blocks).includes("Running (1/2 tasks done)"), "running 1/2");
    s.t.kube.finishTask(ns, name, "build", "Succeeded");
    s.t.kube.finishRun(ns, name, {
      status: "True",
      reason: "Succeeded",
      results: [
        { name: "IMAGE_URL", value: "registry.example.com/octo/demo:mario" },
        { name: "IMAGE_DIGEST", value: "sha256:0123456789abcdef" },
      ],
    });
    const done = await waitFor(() => {
      const m = s.slack.messages(channel)[0]!;
      return blockText(m.blocks).includes("Succeeded") ? m : undefined;
    }, "succeeded");
    expect(blockText(done.blocks)).toContain("`registry.example.com/octo/demo:mario@sha256:0123456789abcdef`");
    expect(buttons(done.blocks)).toEqual([actionIds.retry]);
    expect(s.slack.messages(channel)).toHaveLength(1);
    expect(s.slack.callsOf("chat.postMessage")).toHaveLength(1);
    // Nothing went to the response_url: a started run is answered by its message.
    expect(s.slack.responses(res.responseUrl)).toEqual([]);

    // Retry starts the same command again, as whoever pressed it, with a message of its own.
    const retry = await s.press({ actionId: actionIds.retry, value: `${ns}/${name}`, messageTs: done.ts, user: users.alice });
    expect(retry.status).toBe(200);
    const again = await waitFor(() => s.t.kube.pipelineRuns(ns).find((r) => r.metadata.name !== name), "a second PipelineRun");
    expect(again.spec.params).toEqual(expect.arrayContaining([{ name: "IMAGE", value: "registry.example.com/octo/demo:mario" }]));
    await waitFor(() => s.slack.messages(channel).length === 2, "a second message");
    expect(blockText(s.slack.messages(channel)[1]!.blocks)).toContain(again.metadata.name);
  });

  it("lets a member of an allowed Slack user group build without a GitHub login; the run names the Slack user", async () => {
    const res = await s.slash(`build image tag=ops repo=${repo} pr=42`, { user: users.dave });
    expect(res.status).toBe(200);
    const run = await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun");
    expect(run.metadata.annotations["mario.dev/requester"]).toBe("slack:u0dave");
    const message = await waitFor(() => s.slack.messages(channel)[0], "the run message");
    expect(blockText(message.blocks)).toContain(`Requested by <@${users.dave}>`);
    // No GitHub permission lookup for a name that is not a GitHub login.
    expect(s.t.github.requestsFor("repos/get-collaborator-permission-level").map((r) => r.path)).not.toContainEqual(expect.stringContaining("slack"));
  });

  it("Cancel stops a running run (spec.status Cancelled), keeps what its running step logged, and the message ends as cancelled with Retry", async () => {
    await s.slash(`build image repo=${repo} pr=42`);
    const run = await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun");
    const name: string = run.metadata.name;
    s.t.kube.startRun(ns, name, { tasks: [{ name: "build", steps: ["build-and-push"] }] });
    s.t.kube.appendLog(ns, s.t.kube.taskRuns(ns)[0].status.podName, "step-build-and-push", "pushed layer 1 of 3\n");
    const message = await waitFor(() => {
      const m = s.slack.messages(channel)[0];
      return m && blockText(m.blocks).includes("Running") ? m : undefined;
    }, "running message");

    const res = await s.press({ actionId: actionIds.cancel, value: `${ns}/${name}`, messageTs: message.ts, user: users.dave });
    expect(res.status).toBe(200);
    await waitFor(() => s.t.kube.pipelineRuns(ns)[0]?.spec.status === "Cancelled", "spec.status Cancelled");
    expect(await waitFor(() => answerText(s.slack, res.responseUrl), "ephemeral answer")).toContain("Cancelling");
    const cancelled = await waitFor(() => {
      const m = s.slack.messages(channel)[0]!;
      return blockText(m.blocks).includes("Cancelled") ? m : undefined;
    }, "cancelled message");
    expect(buttons(cancelled.blocks)).toEqual([actionIds.retry]);
    // Tekton deleted the pods of the cancelled run; the log page still has what the step wrote before.
    expect(s.t.kube.pods(ns)).toEqual([]);
    const page = await waitFor(async () => {
      const text = await (await fetch(`${s.t.mario.url}/runs/${ns}/${name}`)).text();
      return text.includes("pushed layer 1 of 3") ? text : undefined;
    }, "the log up to the cancel");
    expect(page).toContain("The run was cancelled; this is the log up to the cancel");
  });
});
