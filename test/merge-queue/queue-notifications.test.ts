import { afterEach, describe, expect, it } from "vitest";
import { repo, waitFor } from "../support/test-mario.js";
import { blockText, channel, slackSection, startSlackMario, type SlackMario } from "../slack/slack-test-kit.js";
import { fakeCi, queueConfig, seedReadyPrs, sendStatus, stagingRuns } from "./queue-support.js";

let s: SlackMario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const messageText = (m: { text?: string; blocks?: unknown[] }) => `${m.text ?? ""} ${m.blocks ? blockText(m.blocks as never[]) : ""}`;

describe("what the merge queue did reaches people", () => {
  it("posts a merge to the channel subscribed to the repo's merges and counts it in /metrics, with the pool's size", async () => {
    s = await startSlackMario({
      config: `${slackSection}  channels:\n    - channel: ${channel}\n      subscribe: [{ repo: ${repo}, events: [merges] }]\n${queueConfig()}`,
    });
    const t = s.t;
    await seedReadyPrs(t, [1]);
    const run = await waitFor(() => stagingRuns(t).find((r) => r.prs.includes(1)), "#1 tested on a staging commit");
    const scrape = async () => (await fetch(`${t.mario.url}/metrics`)).text();
    await waitFor(async () => /mario_merge_queue_size\{pool="octo\/demo:main"\} 1\n/.test(await scrape()), "one PR in line in /metrics");
    await sendStatus(t, run.sha, "success");
    await waitFor(() => t.github.state.pullRequest(repo, 1).merged, "#1 merged");
    await waitFor(async () => /mario_merge_queue_size\{pool="octo\/demo:main"\} 0\n/.test(await scrape()), "the line empty in /metrics after the merge");
    const posted = await waitFor(() => s!.slack.messages(channel).find((m) => /#1/.test(messageText(m))), "the merge notification");
    expect(messageText(posted)).toMatch(/merged/i);
    const metrics = await (await fetch(`${t.mario.url}/metrics`)).text();
    expect(metrics).toMatch(/mario_merge_queue_merged_total\{pool="octo\/demo:main"\} 1/);
    t.github.assertNoViolations();
  });

  it("posts to the same channel when a PR fails alone and leaves the merge queue", async () => {
    s = await startSlackMario({
      config: `${slackSection}  channels:\n    - channel: ${channel}\n      subscribe: [{ repo: ${repo}, events: [merges] }]\n${queueConfig()}`,
    });
    const t = s.t;
    const ci = fakeCi(t, (prs) => prs.includes(1));
    await seedReadyPrs(t, [1]);
    const posted = await waitFor(() => s!.slack.messages(channel).find((m) => /left the merge queue/.test(messageText(m))), "the removal notification");
    ci.stop();
    expect(messageText(posted)).toMatch(/#1/);
    expect(messageText(posted)).toMatch(/ci\/test failed \(failed alone\)/);
    expect(t.github.state.pullRequest(repo, 1).merged).toBe(false);
    t.github.assertNoViolations();
  });
});
