import { afterEach, describe, expect, it } from "vitest";
import { addOrgMember } from "../fakes/github-org-routes.js";
import { actionIds } from "../../src/slack/render-slack-run.js";
import { repo, waitFor } from "../support/test-mario.js";
import { answerText, blockText, buttons, channel, closeChecked, slackSection, startSlackMario, users, type SlackMario } from "./slack-test-kit.js";

let s: SlackMario | undefined;
afterEach(async () => {
  await closeChecked(s);
  s = undefined;
});

const jobs = `jobs:
  - name: unit-tests
    repos: ["octo/*"]
    pipeline:
      pipelineRef: { name: mario-unit-tests }
      params: { REVISION: "{{pr.headSha}}" }
`;

describe("job commands from Slack", () => {
  it("/mario test follows the trust rule through the Slack identity: a user group with write may, a read-only login may not", async () => {
    s = await startSlackMario({ config: `${slackSection}${jobs}` });
    const ns = "mario";
    // dave has no GitHub login; his user group grants write on octo/*.
    const dave = await s.slash(`test unit-tests repo=${repo} pr=42`, { user: users.dave });
    expect(dave.status).toBe(200);
    const run = await waitFor(() => s!.t.kube.pipelineRuns(ns)[0], "the unit-tests PipelineRun");
    expect(run.metadata.labels["mario.dev/command"]).toBe("unit-tests");
    expect(run.metadata.annotations["mario.dev/requester"]).toBe("slack:u0dave");
    expect(answerText(s.slack, dave.responseUrl) ?? "").not.toContain("did not run");
    // The job's run gets a live message in the channel the command was typed in, like a pipeline command's.
    const message = await waitFor(() => s!.slack.messages(channel).find((m) => blockText(m.blocks).includes(run.metadata.name)), "the job run's message in the channel");
    expect(blockText(message.blocks)).toContain("/test unit-tests");
    expect(buttons(message.blocks)).toContain(actionIds.cancel);

    // bob is mapped to a read-only login that is not an organization member.
    const bob = await s.slash(`test unit-tests repo=${repo} pr=42`, { user: users.bob });
    expect(await waitFor(() => answerText(s!.slack, bob.responseUrl), "bob's answer")).toContain("is for collaborators and organization members of octo");
    expect(s.t.kube.pipelineRuns(ns)).toHaveLength(1);
  });

  it("Retry on a job run follows the trust rule of /test, not a command's permission, and runs /test <job> again", async () => {
    // frank may only read octo/demo but is a member of octo: trusted for jobs. bob only reads and is no member.
    const frank = "U0FRANK";
    s = await startSlackMario({ config: `${slackSection}${jobs}`, configure: (c) => void ((c.slack!.users as Record<string, string>)[frank] = "frank") });
    const t = s.t;
    t.github.state.setPermission(repo, "frank", "read");
    addOrgMember(t.github.state, "octo", "frank");
    await s.slash(`test unit-tests repo=${repo} pr=42`, { user: users.alice });
    const run = await waitFor(() => t.kube.pipelineRuns("mario")[0], "the unit-tests PipelineRun");
    const name: string = run.metadata.name;
    t.kube.startRun("mario", name, { tasks: [{ name: "test" }] });
    t.kube.finishRun("mario", name, { status: "False", reason: "Failed" });
    const message = await waitFor(() => s!.slack.messages(channel).find((m) => blockText(m.blocks).includes(name) && buttons(m.blocks).includes(actionIds.retry)), "the failed run's message with Retry");

    const bob = await s.press({ actionId: actionIds.retry, value: `mario/${name}`, messageTs: message.ts, user: users.bob });
    expect(await waitFor(() => answerText(s!.slack, bob.responseUrl), "bob's answer")).toBe(
      "Retrying `/test unit-tests` needs write access to the repository `octo/demo` or membership of `octo`; you have read access (as GitHub user `bob`) and are not a member of `octo`, so I did not do it.",
    );

    const pressed = await s.press({ actionId: actionIds.retry, value: `mario/${name}`, messageTs: message.ts, user: frank });
    const again = await waitFor(() => t.kube.pipelineRuns("mario").find((r) => r.metadata.annotations["mario.dev/requester"] === "frank"), "the retried run");
    expect(again.metadata.labels).toMatchObject({ "mario.dev/kind": "job", "mario.dev/job": "unit-tests" });
    expect(again.metadata.annotations["mario.dev/command-line"]).toBe("/test unit-tests");
    const retried = await waitFor(() => s!.slack.messages(channel).find((m) => blockText(m.blocks).includes(again.metadata.name)), "the retried run's message");
    expect(blockText(retried.blocks)).toContain(`Requested by <@${frank}>`); // in the channel it was retried in, as the one who pressed
    expect(s.slack.responses(pressed.responseUrl).map((r) => r.body.text)).toEqual([]);
    expect(t.kube.pipelineRuns("mario")).toHaveLength(2);
  });

  it("`/mario status <name>` finds a job run in a namespace only jobs use", async () => {
    s = await startSlackMario({ config: `${slackSection}${jobs.replace("pipelineRef: { name: mario-unit-tests }", "namespace: ci-jobs\n      pipelineRef: { name: mario-unit-tests }")}` });
    await s.slash(`test unit-tests repo=${repo} pr=42`, { user: users.alice });
    const run = await waitFor(() => s!.t.kube.pipelineRuns("ci-jobs")[0], "the unit-tests PipelineRun in ci-jobs");
    const name: string = run.metadata.name;
    const status = await s.slash(`status ${name}`, { user: users.bob });
    const answer = await waitFor(() => answerText(s!.slack, status.responseUrl), "the status answer");
    expect(answer).toMatch(/`\/test unit-tests` on <http[^|>]+\/octo\/demo\/pull\/42\|octo\/demo#42>/);
    expect(answer).toContain(`Run \`ci-jobs/${name}\``);
  });
});
