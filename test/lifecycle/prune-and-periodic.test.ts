import { afterEach, describe, expect, it } from "vitest";
import { faults } from "../fakes/fake-github.js";
import { repo, settle, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";
import { keysMatching } from "../support/test-redis.js";
import { checksNamed, ns, playRun, runsOf, sendPullRequest, startJobsMario, waitForRuns } from "./lifecycle-support.js";

let t: TestMario;
afterEach(async () => {
  t.github.assertNoViolations();
  await t.close();
});

describe("pruning", () => {
  it("keeps the newest N finished runs per repo and job, never a running one; the pruned run's page still shows its logs", async () => {
    t = await startJobsMario("pruning:\n  keep: 2\n");
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      await t.comment("/test unit-tests");
      const runs = await waitForRuns(t, "unit-tests", names.length + 1);
      const fresh = runs.find((r) => !names.includes(r.metadata.name));
      names.push(fresh.metadata.name);
      playRun(t, fresh.metadata.name, "Succeeded", `run ${i}\n`);
      await waitFor(() => checksNamed(t, "mario/unit-tests").filter((c) => c.conclusion === "success").length === i + 1, `run ${i} reported`);
    }
    await waitFor(() => !t.kube.getPipelineRun(ns, names[0]!), "oldest pruned");
    expect(runsOf(t, "unit-tests").map((r) => r.metadata.name).sort()).toEqual([names[1], names[2]].sort());
    // A running run is never pruned, even beyond the limit.
    await t.comment("/test unit-tests");
    const running = (await waitForRuns(t, "unit-tests", 3)).find((r) => !names.includes(r.metadata.name));
    t.kube.startRun(ns, running.metadata.name, { tasks: [{ name: "test" }] });
    await t.comment("/test lint");
    const [lint] = await waitForRuns(t, "lint", 1);
    playRun(t, lint.metadata.name, "Succeeded");
    await waitFor(() => checksNamed(t, "mario/lint")[0]?.conclusion === "success", "lint done");
    expect(t.kube.getPipelineRun(ns, running.metadata.name)).toBeDefined();
    const page = await (await fetch(`${t.mario.url}/runs/${ns}/${names[0]}`)).text();
    expect(page).toContain("run 0");
  });
});

describe("periodic jobs", () => {
  it("runs exactly once per tick across two replicas, a late retry keeping its own tick, and reports a commit status on the branch head", async () => {
    t = await startJobsMario(`  - name: nightly
    repos: ["octo/demo"]
    schedule: "*/2 * * * * *"
    branch: main
    pipeline:
      pipelineRef: { name: mario-nightly }
      params: { REVISION: "{{pr.headSha}}", BRANCH: "{{pr.baseRef}}" }
`);
    // A tick whose first attempt fails late (GitHub slow, then 502) is retried after the next tick came.
    t.github.failNext({ operationId: "repos/get-branch" }, { ...faults.badGateway(), delayMs: 2500 }, 1);
    const replica = await startTestMario({ replicaOf: t });
    try {
      const head = t.github.state.git.branch(repo, "main")!;
      const tickOf = (r: { metadata: { annotations: Record<string, string> } }) => r.metadata.annotations["mario.dev/tick"];
      const runs = await waitFor(() => (runsOf(t, "nightly").length >= 5 ? runsOf(t, "nightly") : undefined), "five ticks", 20_000);
      const ticks = runs.map(tickOf).sort();
      // One PipelineRun per tick, and between the first and the last tick none is missing.
      expect(ticks.every((tick) => typeof tick === "string")).toBe(true);
      expect(new Set(ticks).size).toBe(ticks.length);
      const times = ticks.map((tick) => Date.parse(tick!));
      expect(times.slice(1).map((time, i) => time - times[i]!)).toEqual(times.slice(1).map(() => 2000));
      // The tick whose first attempt failed has its run, under its own tick (not the next one's).
      const failed = t.github.requestsFor("repos/get-branch").find((r) => r.status === 502)!;
      expect(failed).toBeDefined();
      expect(times[0]).toBeLessThanOrEqual(failed.at);
      expect(failed.at - times[0]!).toBeLessThan(2000);
      expect(runs[0].spec.params).toEqual(expect.arrayContaining([{ name: "REVISION", value: head }, { name: "BRANCH", value: "main" }]));
      playRun(t, runs[0].metadata.name, "Succeeded");
      const status = await waitFor(() => t.github.state.statuses(repo, head).find((s) => s.context === "mario/nightly" && s.state === "success"), "success status");
      expect(status.description).toContain("Succeeded (nightly on main");
      expect(status.targetUrl).toContain(`/runs/${ns}/${runs[0].metadata.name}`);
      expect(t.github.state.checkRuns(repo, head)).toEqual([]);
    } finally {
      await replica.close();
    }
  });
});

describe("what runs leave in Redis", () => {
  it("indexes only a PR's own runs under the PR, and keeps no result for a merge queue that is off", async () => {
    t = await startJobsMario(`  - name: nightly
    repos: ["octo/demo"]
    schedule: "*/1 * * * * *"
    branch: main
    pipeline:
      pipelineRef: { name: mario-nightly }
mergeQueue:
  enabled: false
`);
    const [nightly] = await waitForRuns(t, "nightly", 1);
    playRun(t, nightly.metadata.name, "Succeeded");
    const head = t.github.state.git.branch(repo, "main")!;
    await waitFor(() => t.github.state.statuses(repo, head).find((s) => s.context === "mario/nightly" && s.state === "success"), "the nightly run reported");
    await sendPullRequest(t, "opened");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    playRun(t, unit.metadata.name, "Succeeded");
    await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.conclusion === "success", "the unit-tests run reported");
    await settle();
    const keys = async (pattern: string) => (await keysMatching(`${t.prefix}:${pattern}`)).map((k) => k.slice(t.prefix.length + 1));
    // Periodic runs belong to no PR: nothing reads an index of them, which would only grow.
    expect(await keys("pr-runs:*")).toEqual(["pr-runs:octo/demo#42"]);
    // The merge queue is off: a job run's result is not recorded for it.
    expect(await keys("mq:*")).toEqual([]);
  });
});

describe("cost of a typical job run", () => {
  it("costs exactly these GitHub and Kubernetes requests for one presubmit run, from the webhook to its conclusion", async () => {
    t = await startJobsMario();
    t.github.state.pullRequest(repo, 42).files = []; // only unit-tests applies
    // Counted from the moment the watcher listed and opened its watch: what mario costs at start is not the run's.
    await waitFor(() => t.kube.requests.some((r) => r.query.watch === "true"), "the watcher ready");
    const [gh0, kube0] = [t.github.requests.length, t.kube.requests.length];
    await sendPullRequest(t, "opened");
    const [unit] = await waitForRuns(t, "unit-tests", 1);
    await waitFor(() => checksNamed(t, "mario/unit-tests")[0], "queued check");
    // Tekton, one visible change at a time: the run starts, its one task ends, the run ends.
    t.kube.startRun(ns, unit.metadata.name, { tasks: [{ name: "test", steps: ["run"] }] });
    await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.status === "in_progress", "in progress");
    const pod = t.kube.taskRuns(ns)[0].status.podName;
    t.kube.appendLog(ns, pod, "step-run", "ok\n");
    t.kube.finishTask(ns, unit.metadata.name, "test", "Succeeded");
    await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.output.summary?.includes("| `test` | succeeded"), "the task's end on the check");
    t.kube.finishRun(ns, unit.metadata.name, { status: "True", reason: "Succeeded" });
    await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.conclusion === "success", "unit-tests done");
    await settle(800);
    expect(runsOf(t, "lint")).toEqual([]);
    const name = (r: { operationId?: string; method: string; path: string }) => r.operationId ?? `${r.method} ${r.path.replace(/mario-[a-z-]+-42-[0-9a-f]+[a-z0-9-]*/g, "<run>")}`;
    const count = (list: { operationId?: string; method: string; path: string }[]) => list.reduce<Record<string, number>>((m, r) => ({ ...m, [name(r)]: (m[name(r)] ?? 0) + 1 }), {});
    const github = count(t.github.requests.slice(gh0));
    const kube = count(t.kube.requests.slice(kube0).filter((r) => r.query.watch !== "true"));
    console.info(`one job run, webhook to conclusion: GitHub ${JSON.stringify(github)}; Kubernetes ${JSON.stringify(kube)} (plus the open watch stream)`);
    // README "Cost" states these numbers; change both together.
    expect(github).toEqual({
      // the run: 8
      "apps/create-installation-access-token": 1,
      "pulls/list-files": 1,
      "repos/get-collaborator-permission-level": 1,
      "repos/get": 1,
      "checks/create": 1,
      "checks/update": 3,
      // the merge queue, on the same pull_request event: 3
      "pulls/list": 1,
      "repos/get-branch": 1,
      "repos/create-commit-status": 1,
    });
    expect(kube).toEqual({
      "POST /apis/tekton.dev/v1/namespaces/mario/pipelineruns": 1,
      "GET /apis/tekton.dev/v1/namespaces/mario/taskruns": 3,
      "GET /api/v1/namespaces/mario/secrets/test-credentials": 1,
      "GET /api/v1/namespaces/mario/pods/<run>/log": 1,
      "GET /apis/tekton.dev/v1/namespaces/mario/pipelineruns": 1,
    });
  });
});
