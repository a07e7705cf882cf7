import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repo, waitFor } from "../support/test-mario.js";
import { blockText, channel, startSlackMario, users, type SlackMario } from "./slack-test-kit.js";

let s: SlackMario;
beforeEach(async () => {
  s = await startSlackMario({ socketMode: true });
});
afterEach(async () => {
  s.t.github.assertNoViolations();
  s.slack.assertNoViolations();
  await s.close();
});

describe("Socket Mode (SLACK_APP_TOKEN)", () => {
  it("connects to Slack instead of serving /slack/events, acks slash commands over the socket and runs them", async () => {
    await waitFor(() => s.slack.socket.connections() === 1, "a Socket Mode connection");
    expect(s.slack.callsOf("apps.connections.open")).toHaveLength(1);
    expect((await fetch(s.events, { method: "POST", body: "" })).status).toBe(404);

    const responseUrl = s.slack.responseUrl();
    const ack = await s.slack.socket.send("slash_commands", {
      token: "deprecated",
      team_id: "T0FAKE",
      team_domain: "fake",
      channel_id: channel,
      channel_name: "ci",
      user_id: users.alice,
      user_name: "alice",
      command: "/mario",
      text: `build image tag=socket repo=${repo} pr=42`,
      api_app_id: "A0MARIO",
      response_url: responseUrl,
      trigger_id: "socket.trigger.1",
    });
    expect(ack.payload).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("/mario build image tag=socket") });
    const run = await waitFor(() => s.t.kube.pipelineRuns("mario")[0], "a PipelineRun");
    expect(run.spec.params).toEqual(expect.arrayContaining([{ name: "IMAGE", value: "registry.example.com/octo/demo:socket" }]));
    await waitFor(() => blockText(s.slack.messages(channel)[0]?.blocks ?? []).includes("/build image tag=socket"), "the run message");
  });
});
