import { afterEach, describe, expect, it } from "vitest";
import { repo, waitFor } from "../support/test-mario.js";
import { answerText, slackSection, startSlackMario, users, type SlackMario } from "./slack-test-kit.js";

let s: SlackMario | undefined;
afterEach(async () => {
  s?.t.github.assertNoViolations();
  s?.slack.assertNoViolations();
  await s?.close();
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

    // bob is mapped to a read-only login that is not an organization member.
    const bob = await s.slash(`test unit-tests repo=${repo} pr=42`, { user: users.bob });
    expect(await waitFor(() => answerText(s!.slack, bob.responseUrl), "bob's answer")).toContain("is for collaborators and organization members of octo");
    expect(s.t.kube.pipelineRuns(ns)).toHaveLength(1);
  });
});
