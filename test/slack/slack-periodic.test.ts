import { afterEach, describe, expect, it } from "vitest";
import { repo, waitFor } from "../support/test-mario.js";
import { blockText, channel, slackSection, startSlackMario, type SlackMario } from "./slack-test-kit.js";

let s: SlackMario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe("periodic job results in Slack", () => {
  it("tells the channel subscribed to the repo's failures that a nightly run failed, with its log link", async () => {
    s = await startSlackMario({
      config: `${slackSection}  channels:
    - channel: ${channel}
      subscribe: [{ repo: ${repo}, events: [failures] }]
jobs:
  - name: nightly
    repos: ["${repo}"]
    schedule: "*/2 * * * * *"
    branch: main
    pipeline:
      pipelineRef: { name: mario-nightly }
`,
    });
    const t = s.t;
    const run = await waitFor(() => t.kube.pipelineRuns("mario").find((r) => r.metadata.labels["mario.dev/pr"] === "0"), "a nightly PipelineRun", 15_000);
    t.kube.startRun("mario", run.metadata.name, { tasks: [{ name: "build" }] });
    t.kube.finishRun("mario", run.metadata.name, { status: "False", reason: "Failed", message: "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0" });
    const posted = await waitFor(() => s!.slack.messages(channel).find((m) => `${m.text ?? ""}${m.blocks ? blockText(m.blocks as never[]) : ""}`.includes("nightly")), "the notification");
    const text = `${posted.text ?? ""}${posted.blocks ? blockText(posted.blocks as never[]) : ""}`;
    expect(text).toContain("Periodic job");
    expect(text).toContain(run.metadata.name);
  });
});
