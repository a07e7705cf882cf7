import { afterEach, describe, expect, it } from "vitest";
import { repo, waitFor } from "../support/test-mario.js";
import { actionIds } from "../../src/slack/render-slack-run.js";
import { answerText, blockText, buttons, channel, closeChecked, slackSection, startSlackMario, users, type SlackMario } from "./slack-test-kit.js";

let s: SlackMario | undefined;
afterEach(async () => {
  await closeChecked(s);
  s = undefined;
});

const nightly = `jobs:
  - name: nightly
    repos: ["${repo}"]
    schedule: "*/2 * * * * *"
    branch: main
    pipeline:
      pipelineRef: { name: mario-nightly }
      params: { REVISION: "{{pr.headSha}}" }
`;

describe("periodic job results in Slack", () => {
  it("tells the channel subscribed to the repo's failures that a nightly run failed, with its log link", async () => {
    s = await startSlackMario({
      config: `${slackSection}  channels:
    - channel: ${channel}
      subscribe: [{ repo: ${repo}, events: [failures] }]
${nightly}`,
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

  it("tells the failures channel when a nightly run could not even be created (the cluster refused it)", async () => {
    s = await startSlackMario({
      config: `${slackSection}  channels:
    - channel: ${channel}
      subscribe: [{ repo: ${repo}, events: [failures] }]
${nightly}`,
    });
    // 422: the cluster rejects the PipelineRun (say, an admission webhook); nothing is retried, nothing runs.
    s.t.kube.failNext({ method: "POST", path: /pipelineruns$/ }, { status: 422 }, 1);
    const posted = await waitFor(() => s!.slack.messages(channel).find((m) => `${m.text ?? ""}${m.blocks ? blockText(m.blocks as never[]) : ""}`.includes("nightly")), "the notification", 15_000);
    const text = `${posted.text ?? ""}${posted.blocks ? blockText(posted.blocks as never[]) : ""}`;
    expect(text).toContain("Periodic job");
    expect(text).toMatch(/could not start|Could not start/i);
  });

  it("mirrors a periodic run to an `all` channel on its branch; Retry runs the job again on the branch's current head, by the trust rule", async () => {
    s = await startSlackMario({ config: `${slackSection}  channels:
    - channel: ${channel}
      subscribe: [{ repo: ${repo}, events: [all] }]
${nightly}` });
    const t = s.t;
    const tick = await waitFor(() => t.kube.pipelineRuns("mario").find((r) => r.metadata.labels["mario.dev/kind"] === "periodic"), "a nightly PipelineRun", 15_000);
    const name: string = tick.metadata.name;
    t.kube.startRun("mario", name, { tasks: [{ name: "build" }] });
    t.kube.finishRun("mario", name, { status: "False", reason: "Failed", message: "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0" });
    const message = await waitFor(
      // The live message (with buttons), not the separate notification of the periodic result.
      () => s!.slack.messages(channel).find((m) => buttons(m.blocks).length > 0 && blockText(m.blocks).includes(`/runs/mario/${name}`) && blockText(m.blocks).includes("Failed")),
      "the mirrored run message, failed",
    );
    expect(blockText(message.blocks)).toContain(`|${repo}:main>`); // the branch, not "#0"
    expect(blockText(message.blocks)).not.toContain("#0");
    expect(buttons(message.blocks)).toEqual([actionIds.retry]);

    // main moved on since the tick; bob (read, not an organization member) may not run jobs.
    const newHead = "c0ffee".padEnd(40, "0");
    t.github.state.git.setBranch(repo, "main", newHead);
    const refused = await s.press({ actionId: actionIds.retry, value: `mario/${name}`, messageTs: message.ts, user: users.bob });
    expect(await waitFor(() => answerText(s!.slack, refused.responseUrl), "the refusal")).toContain("needs write access to the repository `octo/demo` or membership of `octo`");

    await s.press({ actionId: actionIds.retry, value: `mario/${name}`, messageTs: message.ts, user: users.alice });
    const again = await waitFor(() => t.kube.pipelineRuns("mario").find((r) => r.metadata.annotations["mario.dev/requester"] === "alice"), "the retried nightly");
    expect(again.metadata.labels).toMatchObject({ "mario.dev/kind": "periodic", "mario.dev/job": "nightly" });
    expect(again.spec.params).toEqual(expect.arrayContaining([{ name: "REVISION", value: newHead }]));
    const retried = await waitFor(() => s!.slack.messages(channel).find((m) => blockText(m.blocks).includes(again.metadata.name) && blockText(m.blocks).includes(`<@${users.alice}>`)), "the retried run's message");
    expect(blockText(retried.blocks)).toContain(`Requested by <@${users.alice}>`);
    expect(blockText(retried.blocks)).toContain(`|${repo}:main>`);
    expect(t.kube.pipelineRuns("mario").filter((r) => r.metadata.annotations["mario.dev/requester"] !== "mario")).toHaveLength(1);
    expect(s.slack.responses().map((r) => r.body.text)).not.toContainEqual(expect.stringContaining("I don't know"));
  });
});
