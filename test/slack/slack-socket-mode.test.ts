import { afterEach, describe, expect, it } from "vitest";
import { actionIds } from "../../src/slack/render-slack-run.js";
import { repo, settle, waitFor } from "../support/test-mario.js";
import { answerText, blockText, buttons, channel, startSlackMario, users, type SlackMario } from "./slack-test-kit.js";

const ns = "mario";
let started: SlackMario[] = [];
async function start(...args: Parameters<typeof startSlackMario>): Promise<SlackMario> {
  const s = await startSlackMario(...args);
  started.push(s);
  return s;
}
afterEach(async () => {
  const [first] = started;
  first?.t.github.assertNoViolations();
  first?.slack.assertNoViolations();
  // Replicas first: the first one owns the fakes.
  for (const s of started.reverse()) await s.close();
  started = [];
});

describe("Socket Mode (SLACK_APP_TOKEN)", () => {
  it("connects to Slack instead of serving /slack/events, acks slash commands over the socket and runs them", async () => {
    const s = await start({ socketMode: true });
    await waitFor(() => s.slack.socket.connections() === 1, "a Socket Mode connection");
    expect(s.slack.callsOf("apps.connections.open")).toHaveLength(1);
    expect((await fetch(s.events, { method: "POST", body: "" })).status).toBe(404);

    const { ack } = await s.socket.slash(`build image tag=socket repo=${repo} pr=42`);
    expect(ack.payload).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("/mario build image tag=socket") });
    const run = await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun");
    expect(run.spec.params).toEqual(expect.arrayContaining([{ name: "IMAGE", value: "registry.example.com/octo/demo:socket" }]));
    await waitFor(() => blockText(s.slack.messages(channel)[0]?.blocks ?? []).includes("/build image tag=socket"), "the run message");
  });

  it("takes button presses over the socket: Cancel stops the run, Retry starts it again, a refusal is ephemeral", async () => {
    const s = await start({ socketMode: true });
    await waitFor(() => s.slack.socket.connections() === 1, "a Socket Mode connection");
    await s.socket.slash(`build image repo=${repo} pr=42`);
    const name: string = (await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun")).metadata.name;
    s.t.kube.startRun(ns, name, { tasks: [{ name: "build" }] });
    const message = await waitFor(() => {
      const m = s.slack.messages(channel)[0];
      return m && blockText(m.blocks).includes("Running") ? m : undefined;
    }, "the running message");

    const refused = await s.socket.press({ actionId: actionIds.cancel, value: `${ns}/${name}`, messageTs: message.ts, user: users.erin });
    expect(refused.ack.envelope_id).toBeTruthy();
    expect(await waitFor(() => answerText(s.slack, refused.responseUrl), "refusal")).toContain("I don't know who you are on GitHub");

    const cancel = await s.socket.press({ actionId: actionIds.cancel, value: `${ns}/${name}`, messageTs: message.ts });
    expect(cancel.ack.envelope_id).toBeTruthy();
    await waitFor(() => s.t.kube.getPipelineRun(ns, name)?.spec.status === "Cancelled", "spec.status Cancelled");
    const cancelled = await waitFor(() => {
      const m = s.slack.messages(channel)[0]!;
      return blockText(m.blocks).includes("Cancelled") ? m : undefined;
    }, "the cancelled message");
    expect(buttons(cancelled.blocks)).toEqual([actionIds.retry]);

    await s.socket.press({ actionId: actionIds.retry, value: `${ns}/${name}`, messageTs: message.ts });
    await waitFor(() => s.t.kube.pipelineRuns(ns).find((r) => r.metadata.name !== name), "the retried PipelineRun");
  });

  it("opens the socket only in processes that take intake: a worker-only replica neither connects nor takes commands", async () => {
    const worker = await start({ socketMode: true, env: { MARIO_ROLE: "worker" } });
    const web = await start({ socketMode: true, env: { MARIO_ROLE: "web" }, replicaOf: worker });
    await waitFor(() => worker.slack.socket.connections() === 1, "the web replica's connection");
    await settle();
    expect(worker.slack.socket.connections()).toBe(1);
    expect(worker.slack.callsOf("apps.connections.open")).toHaveLength(1);
    // The web replica acks and queues; the worker runs it.
    const { ack } = await web.socket.slash(`build image repo=${repo} pr=42`);
    expect(ack.payload).toMatchObject({ response_type: "ephemeral" });
    await waitFor(() => worker.t.kube.pipelineRuns(ns)[0], "a PipelineRun");
  });
});
