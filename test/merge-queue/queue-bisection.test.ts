import { afterEach, describe, expect, it } from "vitest";
import { repo, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { queueApi, queueConfig, queueStatus, scriptedCi, seedReadyPrs, sendStatus } from "./queue-support.js";

let t: TestMario | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const merged = (n: number) => t!.github.state.pullRequest(repo, n).merged;
const ok = (...contexts: string[]) => Object.fromEntries(contexts.map((c) => [c, "success" as const]));

describe("merge queue bisection: a PR leaves only after failing alone", () => {
  it("a batch that failed by a flake is split, and the PR deduced bad is tested alone before anything is decided", async () => {
    // One run at a time, so #1 and #2 go as one batch.
    t = await startTestMario({ config: queueConfig("  maxInFlight: 1\n") });
    // The first run fails whatever it contains (a flaky test); every later run passes.
    const ci = scriptedCi(t, (_run, nth) => (nth === 0 ? { "ci/test": "failure" } : ok("ci/test")));
    await seedReadyPrs(t, [1, 2]);
    await waitFor(() => merged(1) && merged(2), "both merged", 15_000);
    ci.stop();
    expect(ci.log.map((a) => `${a.prs.join(",")}:${a.result}`)).toEqual(["1,2:failure", "1:success", "1,2:success"]);
    const history = (await queueApi(t)).body.history!;
    expect(history.some((h) => h.action === "split")).toBe(true);
    expect(history.some((h) => h.action === "removed")).toBe(false);
    expect(t.github.state.comments(repo, 2)).toEqual([]);
    t.github.assertNoViolations();
  });

  it("the removal comment names the job that failed in the PR's own run, with that run's log", async () => {
    t = await startTestMario({ config: queueConfig("  maxInFlight: 1\n").replace("requiredChecks: [ci/test]", "requiredChecks: [ci/test, ci/lint]") });
    // The batch fails ci/lint; #1 alone passes; #2 alone (on top of the merged #1) fails ci/test.
    const ci = scriptedCi(t, (run, nth) => {
      if (nth === 0) return { "ci/test": "success", "ci/lint": "failure" };
      return run.prs.join() === "1,2" ? { "ci/test": "failure", "ci/lint": "success" } : ok("ci/test", "ci/lint");
    });
    await seedReadyPrs(t, [1, 2], { green: false });
    for (const n of [1, 2]) {
      const head = t.github.state.pullRequest(repo, n).head.sha;
      await sendStatus(t, head, "success", "ci/test");
      await sendStatus(t, head, "success", "ci/lint");
    }
    await waitFor(() => merged(1), "#1 merged");
    await waitFor(() => t!.github.state.comments(repo, 2).length > 0 && queueStatus(t!, 2)?.state === "failure", "#2's removal comment and status");
    ci.stop();
    const batch = ci.log[0]!;
    const alone = ci.log.find((a, i) => i > 0 && a.prs.join() === "1,2")!;
    expect(alone.result).toBe("failure");
    const comment = t.github.state.comments(repo, 2)[0]!.body;
    expect(comment).toContain("left the merge queue");
    expect(comment).toContain("`ci/test`");
    expect(comment).not.toContain("ci/lint");
    expect(comment).toContain(`https://ci.example.test/${alone.sha.slice(0, 7)}`);
    expect(comment).not.toContain(batch.sha.slice(0, 7));
    expect(queueStatus(t, 2)).toMatchObject({ state: "failure", description: "Job ci/test failed in the merge queue; push a fix", targetUrl: `https://ci.example.test/${alone.sha.slice(0, 7)}` });
    expect(merged(2)).toBe(false);
    t.github.assertNoViolations();
  });
});
