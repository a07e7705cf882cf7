import { afterEach, describe, expect, it } from "vitest";
import { playRun } from "../lifecycle/lifecycle-support.js";
import { readyJobPrs } from "../merge-queue/queue-support.js";
import { actionIds } from "../../src/slack/render-slack-run.js";
import { repo, waitFor } from "../support/test-mario.js";
import { answerText, blockText, buttons, channel, closeChecked, slackSection, startSlackMario, users, type SlackMario } from "./slack-test-kit.js";

let s: SlackMario | undefined;
afterEach(async () => {
  await closeChecked(s);
  s = undefined;
});

/** A channel following every run of octo/demo; unit-tests is required, so the queue runs it on staging commits. */
const config = `${slackSection}  channels:
    - channel: ${channel}
      subscribe: [{ repo: ${repo}, events: [all] }]
jobs:
  - name: unit-tests
    repos: ["octo/*"]
    branches: "^main$"
    pipeline:
      pipelineRef: { name: mario-unit-tests }
      params: { GIT_REVISION: "{{pr.headSha}}" }
mergeQueue:
  mergeRetryBaseMs: 20
  reconcileMinutes: 0
`;

describe("merge queue runs in Slack", () => {
  it("names a staging run after the queue's batch and gives it no buttons: the queue owns it", async () => {
    s = await startSlackMario({ config });
    const t = s.t;
    await readyJobPrs(t, [1, 2]);
    const staging = await waitFor(() => t.kube.pipelineRuns("mario").find((r) => r.metadata.labels["mario.dev/kind"] === "staging"), "a staging run", 15_000);
    const name: string = staging.metadata.name;
    const messageOf = () => s!.slack.messages(channel).find((m) => blockText(m.blocks).includes(`/runs/mario/${name}`));

    // The batch is what was ready when the queue started: #1 alone, or both.
    const prs = [...t.github.state.git.commit(repo, staging.metadata.labels["mario.dev/head-sha"]).content.keys()].sort((a, b) => a - b);
    const label = `merge queue staging of octo/demo:main (${prs.length === 1 ? "PR" : "PRs"} ${prs.map((n) => `#${n}`).join(" ")})`;
    const where = `/commit/${staging.metadata.labels["mario.dev/head-sha"]}|${label}>`;

    const running = await waitFor(messageOf, "the staging run's message");
    expect(blockText(running.blocks)).toContain(where);
    expect(running.text).toContain(`on ${label}`);
    expect(blockText(running.blocks)).not.toContain("#0");
    expect(buttons(running.blocks)).toEqual([]);

    playRun(t, name, "Failed");
    const done = await waitFor(() => (blockText(messageOf()?.blocks ?? []).includes("Failed") ? messageOf() : undefined), "the staging run's message, failed");
    expect(blockText(done.blocks)).toContain(where);
    expect(buttons(done.blocks)).toEqual([]);

    // A Retry pressed anyway (a message posted before staging runs lost their buttons) starts nothing.
    const pressed = await s.press({ actionId: actionIds.retry, value: `mario/${name}`, messageTs: done.ts, user: users.alice });
    expect(await waitFor(() => answerText(s!.slack, pressed.responseUrl), "the answer")).toContain("This run belongs to the merge queue");
    expect(t.kube.pipelineRuns("mario").filter((r) => r.metadata.annotations["mario.dev/requester"] === "alice")).toEqual([]);
  });
});
