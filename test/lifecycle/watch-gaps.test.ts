import { afterEach, describe, expect, it } from "vitest";
import { repo, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { deleteKeys } from "../support/test-redis.js";
import { checksNamed, jobsConfig, ns, waitForRuns } from "./lifecycle-support.js";

const limited = "concurrency:\n  perRepo: 1\n  sweepMs: 200\n";

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** mario on fresh fakes, closed (with its fakes) after the test. */
async function start(extra = "", opts: Parameters<typeof startTestMario>[0] = {}): Promise<TestMario> {
  const t = await startTestMario({ config: jobsConfig(extra), ...opts });
  t.github.state.pullRequest(repo, 42).files = [{ filename: "src/app.ts", status: "modified", additions: 1, deletions: 0 }];
  t.kube.addSecret(ns, "test-credentials", { token: "s3cr3t-t0ken-value" });
  cleanup = async () => {
    t.github.assertNoViolations();
    await t.close();
  };
  return t;
}

/** mario, stopped and started again on the same Redis and fakes after `whileDown` ran. */
async function restart(first: TestMario, whileDown: () => void): Promise<TestMario> {
  await first.mario.close();
  whileDown();
  const second = await startTestMario({ replicaOf: first });
  cleanup = async () => {
    first.github.assertNoViolations();
    await second.close();
    await Promise.all([first.github.close(), first.kube.close()]);
    await deleteKeys(first.prefix);
  };
  return second;
}

/** `/test unit-tests lint` under a limit of one: unit-tests running, lint waiting behind it. */
async function unitRunningLintWaiting(t: TestMario) {
  await t.comment("/test unit-tests lint");
  const [unit] = await waitForRuns(t, "unit-tests", 1);
  const [lint] = await waitForRuns(t, "lint", 1);
  t.kube.startRun(ns, unit.metadata.name, { tasks: [{ name: "test", steps: ["run"] }] });
  await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.status === "in_progress", "unit-tests in progress");
  return { unit, lint };
}

const watchRequests = (t: TestMario) => t.kube.requests.filter((r) => r.query.watch === "true").length;

describe("runs deleted while nobody watched", () => {
  it("a run deleted while mario was down is reported deleted after the restart, and its concurrency slot moves on", async () => {
    const t = await start(limited);
    const { unit, lint } = await unitRunningLintWaiting(t);
    expect(t.kube.getPipelineRun(ns, lint.metadata.name).spec.status).toBe("PipelineRunPending");

    await restart(t, () => t.kube.deletePipelineRun(ns, unit.metadata.name));
    const check = await waitFor(() => checksNamed(t, "mario/unit-tests").find((c) => c.status === "completed"), "unit-tests concluded");
    expect(check).toMatchObject({ conclusion: "cancelled", output: expect.objectContaining({ title: "Deleted before it finished" }) });
    await waitFor(() => t.kube.getPipelineRun(ns, lint.metadata.name).spec.status === undefined, "lint started");
  });

  it("the concurrency sweep frees the slot of a run gone from the cluster even when the watcher cannot list", async () => {
    const t = await start(limited);
    const { unit, lint } = await unitRunningLintWaiting(t);

    await restart(t, () => {
      t.kube.deletePipelineRun(ns, unit.metadata.name);
      // Listing and watching PipelineRuns fails from now on; single GETs and PATCHes still work.
      t.kube.failNext({ method: "GET", path: /\/pipelineruns$/ }, { status: 500 }, 100_000);
    });
    await waitFor(() => t.kube.getPipelineRun(ns, lint.metadata.name).spec.status === undefined, "lint started by the sweep");
    const check = await waitFor(() => checksNamed(t, "mario/unit-tests").find((c) => c.status === "completed"), "unit-tests concluded");
    expect(check.output.title).toBe("Deleted before it finished");
  });

  it("the 410 relist loses no event and reports nothing twice: a run finished and one deleted during the gap", async () => {
    const t = await start();
    await t.comment("/test unit-tests lint");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    const [lint] = await waitForRuns(t, "lint", 1);
    for (const run of [unit, lint]) t.kube.startRun(ns, run.metadata.name, { tasks: [{ name: "test", steps: ["run"] }] });
    await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.status === "in_progress" && checksNamed(t, "mario/lint")[0]?.status === "in_progress", "both in progress");
    const lists = t.kube.requests.filter((r) => r.method === "GET" && r.path.endsWith("/pipelineruns") && r.query.watch !== "true").length;

    // The stream drops; meanwhile one run ends, the other is deleted, and the history is compacted: 410 Gone.
    t.kube.dropWatches();
    t.kube.finishTask(ns, unit.metadata.name, "test", "Succeeded");
    t.kube.finishRun(ns, unit.metadata.name, { status: "True", reason: "Succeeded" });
    t.kube.deletePipelineRun(ns, lint.metadata.name);
    t.kube.compactHistory();

    await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.conclusion === "success", "the finished run reported");
    const deleted = await waitFor(() => checksNamed(t, "mario/lint").find((c) => c.status === "completed"), "the deleted run reported");
    expect(deleted.output.title).toBe("Deleted before it finished");
    expect(t.kube.requests.filter((r) => r.method === "GET" && r.path.endsWith("/pipelineruns") && r.query.watch !== "true").length).toBeGreaterThan(lists); // it listed again
    await new Promise((r) => setTimeout(r, 500));
    expect(t.github.requestsFor("checks/create")).toHaveLength(2);
    const bodies = t.github.requestsFor("checks/update").map((r) => JSON.stringify(r.body));
    expect(new Set(bodies).size).toBe(bodies.length); // every update changed something
  });
});

describe("reconnecting the watch", () => {
  it("reopens at once after each drop, however many came before (the delay resets once a watch opened)", async () => {
    const t = await start("", { watchBackoff: { initialMs: 50, maxMs: 30_000 } });
    await waitFor(() => watchRequests(t) === 1, "the first watch");
    // Without the reset the delays grow 50, 100, 200 … 3200 ms; each reconnect here must come within 1.5 s.
    for (let i = 0; i < 8; i++) {
      const before = watchRequests(t);
      t.kube.dropWatches({ graceful: i % 2 === 1 });
      await waitFor(() => watchRequests(t) > before, `reconnect ${i + 1}`, 1500);
      await new Promise((r) => setTimeout(r, 60)); // a clean close reopens at once only after the watch lived a moment
    }
    // And the watch still reports.
    await t.comment("/test unit-tests");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    t.kube.startRun(ns, unit.metadata.name, { tasks: [{ name: "test", steps: ["run"] }] });
    await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.status === "in_progress", "in progress after the reconnects");
  });
});
