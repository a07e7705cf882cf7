import { afterEach, describe, expect, it } from "vitest";
import { repo, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { deleteKeys } from "../support/test-redis.js";
import { checksNamed, ns, playRun, runsOf, startJobsMario, waitForRuns } from "./lifecycle-support.js";

const limited = "concurrency:\n  perRepo: 1\n  sweepMs: 200\n";
const title = (t: TestMario, job: string) => checksNamed(t, `mario/${job}`)[0]?.output.title;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** Closes `t` (and checks its GitHub requests) after the test. */
function own(t: TestMario): TestMario {
  cleanup = async () => {
    t.github.assertNoViolations();
    await t.close();
  };
  return t;
}

describe("concurrency limit", () => {
  it("creates runs beyond the limit as PipelineRunPending, shows 'Queued (N ahead)', and starts them in order", async () => {
    const t = own(await startJobsMario(limited));
    await t.comment("/test unit-tests lint docs");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    const [lint] = await waitForRuns(t, "lint", 1);
    const [docs] = await waitForRuns(t, "docs", 1);
    expect(unit.spec.status).toBeUndefined();
    expect(lint.spec.status).toBe("PipelineRunPending");
    expect(docs.spec.status).toBe("PipelineRunPending");
    await waitFor(() => title(t, "lint") === "Queued (0 ahead)" && title(t, "docs") === "Queued (1 ahead)", "queue positions on the checks");

    playRun(t, unit.metadata.name, "Succeeded");
    await waitFor(() => t.kube.getPipelineRun(ns, lint.metadata.name).spec.status === undefined, "lint started");
    expect(t.kube.getPipelineRun(ns, docs.metadata.name).spec.status).toBe("PipelineRunPending");
    await waitFor(() => title(t, "docs") === "Queued (0 ahead)", "docs moved up");
    playRun(t, lint.metadata.name, "Failed", "x\n");
    await waitFor(() => t.kube.getPipelineRun(ns, docs.metadata.name).spec.status === undefined, "docs started");
  });

  it("counts in 'Queued (N ahead)' only the runs that block it: under a per-repo limit, not other repositories' runs", async () => {
    const t = own(await startJobsMario(limited));
    const other = "octo/other";
    t.github.state.addPullRequest(other, { number: 5, user: "carol" });
    t.github.state.setPermission(other, "alice", "write");
    const otherRuns = () => runsOf(t, "unit-tests").filter((r) => r.metadata.labels["mario.dev/repo-name"] === "other");
    // octo/other: one run going, one waiting behind it.
    await t.comment("/test unit-tests", { repo: other, prNumber: 5 });
    await waitFor(() => otherRuns().length === 1, "octo/other's first run");
    await t.comment("/test unit-tests", { repo: other, prNumber: 5 });
    await waitFor(() => otherRuns().length === 2, "octo/other's second run");
    // octo/demo: its first run starts (its repository has a free slot); lint waits behind that one only.
    await t.comment("/test unit-tests lint");
    const [lint] = await waitForRuns(t, "lint", 1);
    expect(lint.spec.status).toBe("PipelineRunPending");
    expect(runsOf(t, "unit-tests").find((r) => r.metadata.labels["mario.dev/repo-name"] === "demo").spec.status).toBeUndefined();
    await waitFor(() => title(t, "lint") === "Queued (0 ahead)", "lint: nothing of its repository ahead");
    const waitingOther = t.github.state.checkRuns(other).find((c) => c.output.title?.startsWith("Queued ("));
    expect(waitingOther?.output.title).toBe("Queued (0 ahead)");
  });

  it("applies a global limit across repositories, where every run ahead counts", async () => {
    const t = own(await startJobsMario("concurrency:\n  global: 2\n  sweepMs: 200\n"));
    await t.comment("/test unit-tests lint docs");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    const [lint] = await waitForRuns(t, "lint", 1);
    const [docs] = await waitForRuns(t, "docs", 1);
    expect([unit.spec.status, lint.spec.status, docs.spec.status]).toEqual([undefined, undefined, "PipelineRunPending"]);
    const other = "octo/other";
    t.github.state.addPullRequest(other, { number: 5, user: "carol" });
    t.github.state.setPermission(other, "alice", "write");
    await t.comment("/test unit-tests", { repo: other, prNumber: 5 });
    const otherRun = await waitFor(() => runsOf(t, "unit-tests").find((r) => r.metadata.labels["mario.dev/repo-name"] === "other"), "octo/other's run");
    expect(otherRun.spec.status).toBe("PipelineRunPending");
    await waitFor(() => title(t, "docs") === "Queued (0 ahead)", "docs first in line");
    await waitFor(() => t.github.state.checkRuns(other)[0]?.output.title === "Queued (1 ahead)", "octo/other's run behind docs");

    playRun(t, unit.metadata.name, "Succeeded");
    await waitFor(() => t.kube.getPipelineRun(ns, docs.metadata.name).spec.status === undefined, "docs started");
    expect(t.kube.getPipelineRun(ns, otherRun.metadata.name).spec.status).toBe("PipelineRunPending");
    await waitFor(() => t.github.state.checkRuns(other)[0]?.output.title === "Queued (0 ahead)", "octo/other's run next");
    playRun(t, lint.metadata.name, "Succeeded");
    await waitFor(() => t.kube.getPipelineRun(ns, otherRun.metadata.name).spec.status === undefined, "octo/other's run started");
  });

  it("keeps the order across a restart of mario while runs wait, and never jams", async () => {
    const first = await startJobsMario(limited);
    const replicas: TestMario[] = [];
    cleanup = async () => {
      first.github.assertNoViolations();
      for (const r of replicas) await r.close();
      await Promise.all([first.github.close(), first.kube.close()]);
      await deleteKeys(first.prefix);
    };
    await first.comment("/test unit-tests lint docs");
    const [unit] = await waitForRuns(first, "unit-tests", 1);
    const [lint] = await waitForRuns(first, "lint", 1);
    const [docs] = await waitForRuns(first, "docs", 1);
    await waitFor(() => title(first, "docs") === "Queued (1 ahead)", "queued");

    // mario goes away; the running run ends meanwhile; a new mario comes up on the same Redis.
    await first.mario.close();
    playRun(first, unit.metadata.name, "Succeeded");
    replicas.push(await startTestMario({ replicaOf: first }));
    await waitFor(() => first.kube.getPipelineRun(ns, lint.metadata.name).spec.status === undefined, "lint started after the restart");
    expect(first.kube.getPipelineRun(ns, docs.metadata.name).spec.status).toBe("PipelineRunPending");
    playRun(first, lint.metadata.name, "Succeeded");
    await waitFor(() => first.kube.getPipelineRun(ns, docs.metadata.name).spec.status === undefined, "docs started");
    await waitFor(() => checksNamed(first, "mario/unit-tests")[0]?.conclusion === "success", "unit-tests reported after the restart");
  });

  it("frees the slot of a run deleted from the cluster, so the queue moves on", async () => {
    const t = own(await startJobsMario(limited));
    await t.comment("/test unit-tests lint");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    const [lint] = await waitForRuns(t, "lint", 1);
    t.kube.startRun(ns, unit.metadata.name, { tasks: [{ name: "test" }] });
    t.kube.deletePipelineRun(ns, unit.metadata.name);
    await waitFor(() => t.kube.getPipelineRun(ns, lint.metadata.name).spec.status === undefined, "lint started");
    expect(runsOf(t, "lint")).toHaveLength(1);
  });
});

describe("the Kubernetes watch dropping", () => {
  it("loses no event and reports nothing twice when the watch drops and reconnects", async () => {
    const t = own(await startJobsMario());
    await t.comment("/test unit-tests");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    const name: string = run.metadata.name;
    t.kube.startRun(ns, name, { tasks: [{ name: "test", steps: ["run"] }] });
    await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.status === "in_progress", "in progress");
    t.kube.dropWatches();
    t.kube.finishTask(ns, name, "test", "Succeeded");
    t.kube.finishRun(ns, name, { status: "True", reason: "Succeeded" });
    t.kube.dropWatches({ graceful: true });
    await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.conclusion === "success", "success after reconnecting");
    await new Promise((r) => setTimeout(r, 500));
    expect(t.github.requestsFor("checks/create")).toHaveLength(1);
    const bodies = t.github.requestsFor("checks/update").map((r) => JSON.stringify(r.body));
    expect(new Set(bodies).size).toBe(bodies.length); // every update changed something
    expect(t.github.state.comments(repo, 42).filter((c) => c.user.type === "Bot")).toEqual([]);
  });
});
