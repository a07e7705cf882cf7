import { afterEach, describe, expect, it } from "vitest";
import { metricValue } from "../ops/support/mario-cluster.js";
import { repo, settle, waitFor } from "../support/test-mario.js";
import { answerText, blockText, channel, slackSection, startSlackMario, type SlackMario } from "./slack-test-kit.js";

let s: SlackMario;
afterEach(async () => {
  s.t.github.assertNoViolations();
  s.slack.assertNoViolations();
  await s.close();
});

const ns = "mario";

async function startBuild(): Promise<string> {
  await s.slash(`build image repo=${repo} pr=42`);
  const run = await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun");
  return run.metadata.name as string;
}
const current = () => blockText(s.slack.messages(channel)[0]?.blocks ?? []);

describe("Slack faults while updating run messages", () => {
  it("waits out `ratelimited` (429 + Retry-After) and still shows the final state", async () => {
    s = await startSlackMario();
    const name = await startBuild();
    await waitFor(() => s.slack.messages(channel)[0], "the run message");
    s.slack.failNext("chat.update", { ratelimited: 1 }, 2);
    s.t.kube.startRun(ns, name, { tasks: [{ name: "build" }] });
    s.t.kube.finishRun(ns, name, { status: "False", reason: "Failed", message: "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0" });
    await waitFor(() => current().includes("Failed"), "the final state despite the rate limit", 15_000);

    const updates = s.slack.callsOf("chat.update");
    const limited = updates.filter((c) => c.outcome === "ratelimited");
    const ok = updates.filter((c) => c.outcome === "ok");
    expect(limited).toHaveLength(2);
    // Every retry honoured Retry-After: no call within a second of the 429 before it.
    for (const l of limited) expect(updates.filter((c) => c.at > l.at && c.at < l.at + 900)).toEqual([]);
    expect(ok.length).toBeGreaterThan(0);
    expect(s.slack.messages(channel)).toHaveLength(1);

    // /metrics counts the Slack calls like GitHub's and Kubernetes': the two 429s (and any call held back by the
    // pause they set) as rate_limited, the rest as ok.
    const metrics = await (await fetch(`${s.t.mario.url}/metrics`)).text();
    expect(metricValue(metrics, "mario_api_requests_total", { api: "slack", operation: "updateMessage", outcome: "rate_limited" })).toBeGreaterThanOrEqual(2);
    expect(metricValue(metrics, "mario_rate_limited_total", { api: "slack" })).toBeGreaterThanOrEqual(2);
    expect(metricValue(metrics, "mario_api_requests_total", { api: "slack", operation: "updateMessage", outcome: "ok" })).toBe(ok.length);
    expect(metricValue(metrics, "mario_api_requests_total", { api: "slack", operation: "postMessage", outcome: "ok" })).toBe(1);
    expect(metricValue(metrics, "mario_api_request_duration_seconds_count", { api: "slack", operation: "postMessage" })).toBe(1);
  });

  it("does not use a job's attempts on `ratelimited`: with one attempt, two rate limits in a row still end in the final state", async () => {
    s = await startSlackMario({ retryAttempts: 1 });
    const name = await startBuild();
    await waitFor(() => s.slack.messages(channel)[0], "the run message");
    s.slack.failNext("chat.update", { ratelimited: 1 }, 2);
    s.t.kube.startRun(ns, name, { tasks: [{ name: "build" }] });
    s.t.kube.finishRun(ns, name, { status: "True", reason: "Succeeded" });
    await waitFor(() => current().includes("Succeeded"), "the final state despite two rate limits on one-attempt jobs", 15_000);
    expect(s.slack.callsOf("chat.update").filter((c) => c.outcome === "ratelimited")).toHaveLength(2);
  });

  it("retries `ok: false` internal errors and HTTP 5xx, and posts anew when the message was deleted", async () => {
    s = await startSlackMario();
    s.slack.failNext("chat.postMessage", { error: "internal_error" });
    s.slack.failNext("chat.postMessage", { status: 503 });
    const name = await startBuild();
    const first = await waitFor(() => s.slack.messages(channel)[0], "the run message after two failures");
    expect(s.slack.callsOf("chat.postMessage").map((c) => c.outcome)).toEqual(["internal_error", "HTTP 503", "ok"]);
    const metrics = await (await fetch(`${s.t.mario.url}/metrics`)).text();
    for (const [outcome, n] of [["internal_error", 1], ["503", 1], ["ok", 1]] as const) {
      expect(metricValue(metrics, "mario_api_requests_total", { api: "slack", operation: "postMessage", outcome })).toBe(n);
    }

    s.slack.deleteMessage(channel, first.ts);
    s.t.kube.startRun(ns, name, { tasks: [{ name: "build" }] });
    await waitFor(() => current().includes("Running"), "a new message after message_not_found");
    expect(s.slack.callsOf("chat.update").some((c) => c.outcome === "message_not_found")).toBe(true);
    expect(s.slack.messages(channel)).toHaveLength(1);
  });

  it("gives up on a channel mario is not in and tells the requester why, once", async () => {
    s = await startSlackMario();
    s.slack.addChannel("C0PRIVATE", { member: false });
    const { responseUrl } = await s.slash(`build image repo=${repo} pr=42`, { channel: "C0PRIVATE" });
    const name = (await waitFor(() => s.t.kube.pipelineRuns(ns)[0], "a PipelineRun")).metadata.name as string;
    expect(await waitFor(() => answerText(s.slack, responseUrl), "the explanation")).toContain("I cannot post in this channel (not_in_channel)");
    s.t.kube.startRun(ns, name, { tasks: [{ name: "build" }] });
    s.t.kube.finishRun(ns, name, { status: "True", reason: "Succeeded" });
    await waitFor(() => s.t.github.state.checkRuns(repo).find((c) => c.status === "completed"), "the run reported on GitHub");
    await settle();
    expect(s.slack.callsOf("chat.postMessage").map((c) => c.outcome)).toEqual(["not_in_channel"]);
    expect(s.slack.responses(responseUrl)).toHaveLength(1);
  });

  it("retries an answer when the response_url fails for a moment", async () => {
    s = await startSlackMario();
    s.slack.failNext("response_url", { status: 500 });
    const { responseUrl } = await s.slash("help");
    expect(await waitFor(() => answerText(s.slack, responseUrl), "the help after a retry")).toContain("mario in Slack");
  });

  it("coalesces a burst of changes into a few updates, the last one showing the final state", async () => {
    s = await startSlackMario({ config: slackSection.replace("updateIntervalMs: 100", "updateIntervalMs: 1500") });
    const name = await startBuild();
    await waitFor(() => s.slack.messages(channel)[0], "the run message");
    const tasks = ["a", "b", "c", "d", "e", "f"];
    s.t.kube.startRun(ns, name, { tasks: tasks.map((t) => ({ name: t })) });
    for (const t of tasks) s.t.kube.finishTask(ns, name, t, "Succeeded");
    s.t.kube.finishRun(ns, name, { status: "True", reason: "Succeeded" });
    await waitFor(() => current().includes("Succeeded"), "the final state", 15_000);
    await settle(1600);
    // 8 visible changes (start, 6 tasks, finish) arrive within one or two intervals.
    expect(s.slack.callsOf("chat.update").length).toBeLessThanOrEqual(3);
    expect(current()).toContain("Succeeded");
  });
});
