import { afterEach, describe, expect, it } from "vitest";
import { repo, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { queueConfig, seedReadyPrs, sendStatus, stagingRuns } from "../merge-queue/queue-support.js";

let t: TestMario | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const get = async (path: string) => {
  const res = await fetch(`${t!.mario.url}${path}`);
  return { status: res.status, text: await res.text() };
};

describe("the merge queue pages", () => {
  it("say what to do when there are no pools, and answer 404 for an unknown pool", async () => {
    t = await startTestMario({ config: queueConfig() });
    const all = await get("/queue");
    expect(all.status).toBe(200);
    expect(all.text).toContain("No pools yet");
    expect(all.text).toContain("<code>lgtm</code>, <code>approved</code>");
    const none = await get("/queue/octo/demo/main");
    expect(none.status).toBe(404);
    expect(none.text).toContain("No merge pool octo/demo:main");
  });

  it("say the queue is off when it is", async () => {
    t = await startTestMario({ config: "mergeQueue:\n  enabled: false\n" });
    expect((await get("/queue")).text).toContain("the merge queue is off here");
  });

  it("show the batch in flight, each PR's position or what it misses, and the history, escaped", async () => {
    // Label names come from GitHub: one with markup must stay text.
    t = await startTestMario({ config: queueConfig('  blockingLabels: ["<b>hold</b>"]\n') });
    await seedReadyPrs(t, [1, 2]);
    await seedReadyPrs(t, [3], { labels: ["lgtm"] });
    await seedReadyPrs(t, [4], { labels: ["lgtm", "approved", "<b>hold</b>"] });
    const run = await waitFor(() => stagingRuns(t!).find((r) => r.prs.length === 2), "a staging commit with #1 and #2");

    const inFlight = await waitFor(async () => {
      const p = await get("/queue");
      return p.text.includes("#1 + #2") && p.text.includes("Needs approved label") ? p : undefined;
    }, "the batch and the missing label shown");
    expect(inFlight.text).toContain('<a href="/queue/octo/demo/main">octo/demo:main</a>');
    expect(inFlight.text).toMatch(/<tr><td>1<\/td><td>#1<\/td>/);
    expect(inFlight.text).toMatch(/<tr><td>2<\/td><td>#2<\/td>/);
    expect(inFlight.text).toContain(`<code>${run.sha.slice(0, 7)}</code>`);
    expect(inFlight.text).toMatch(/#3<\/td><td><code>[0-9a-f]{7}<\/code><\/td><td><span class="state ">Needs approved label/);
    const p4 = await waitFor(async () => {
      const p = await get("/queue/octo/demo/main");
      return p.text.includes("Should not have &lt;b&gt;hold&lt;/b&gt; label") ? p : undefined;
    }, "#4's blocking label shown");
    expect(p4.text).not.toContain("<b>hold");

    await sendStatus(t, run.sha, "success");
    await waitFor(() => t!.github.state.pullRequest(repo, 2).merged, "#1 and #2 merged");
    const done = await waitFor(async () => {
      const p = await get("/queue/octo/demo/main");
      return /merged<\/span><\/td><td>#2<\/td><td>merged as [0-9a-f]{7}/.test(p.text) ? p : undefined;
    }, "the merge in the history");
    expect(done.status).toBe(200);
    expect(done.text).toMatch(/merged<\/span><\/td><td>#1<\/td><td>merged as [0-9a-f]{7}/);
    expect(done.text).toContain(`staging ${run.sha.slice(0, 7)}`);
    expect(done.text).toContain('href="/api/queue/octo/demo/main"');
    t.github.assertNoViolations();
  });

  it("do not show the pools of private repositories, on the pages or in the API", async () => {
    t = await startTestMario({ config: queueConfig() });
    t.github.state.repo(repo).private = true;
    await seedReadyPrs(t, [1]);
    await waitFor(() => stagingRuns(t!).length > 0, "the private pool at work");
    const page = await get("/queue");
    expect(page.text).not.toContain("octo/demo");
    expect((await get("/queue/octo/demo/main")).status).toBe(404);
    const api = await get("/api/queue");
    expect(api.text).not.toContain("octo/demo");
    expect((await get("/api/queue/octo/demo/main")).status).toBe(404);
    t.github.assertNoViolations();
  });
});
