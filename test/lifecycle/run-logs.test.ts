import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { kubeTekton } from "../../src/kube/kube-tekton.js";
import { createLogArchive } from "../../src/logs/log-archive.js";
import { taskStatuses } from "../../src/runs/run-status.js";
import type { RunRecord } from "../../src/runs/run-record.js";
import { redisLock } from "../../src/work/redis-lock.js";
import { redisUrl } from "../support/test-redis.js";
import { repo, waitFor, type TestMario } from "../support/test-mario.js";
import { checksNamed, completedJobCheck, ns, playRun, runsOf, sendPullRequest, startJobsMario, waitForRuns } from "./lifecycle-support.js";

let t: TestMario;
afterEach(async () => {
  t.github.assertNoViolations();
  await t.close();
});

/* eslint-disable @typescript-eslint/no-explicit-any */
const podOf = (t: TestMario, run: string): string => t.kube.taskRuns(ns).find((tr: any) => tr.metadata.labels["tekton.dev/pipelineRun"] === run).status.podName;
/* eslint-enable @typescript-eslint/no-explicit-any */
const page = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};
/** The check run's details URL, on mario's own address instead of PUBLIC_URL. */
const local = (t: TestMario, detailsUrl: string) => detailsUrl.replace("https://mario.example.test", t.mario.url);

describe("logs that outlive pods", () => {
  it("archives every step when the run ends; the posted link shows the logs after the pods and the PipelineRun are gone, secrets masked", async () => {
    t = await startJobsMario();
    await sendPullRequest(t, "opened");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    const name: string = run.metadata.name;
    t.kube.startRun(ns, name, { tasks: [{ name: "fetch", steps: ["clone"] }, { name: "test", steps: ["unit", "report"] }] });
    t.kube.appendLog(ns, podOf(t, name).replace("-fetch-", "-fetch-"), "step-clone", "cloned with token s3cr3t-t0ken-value\n");
    const testPod = t.kube.taskRuns(ns).find((tr) => tr.metadata.name === `${name}-test`).status.podName;
    t.kube.appendLog(ns, testPod, "step-unit", "42 tests passed\n");
    t.kube.appendLog(ns, testPod, "step-report", "<b>report</b> written\n");
    t.kube.finishTask(ns, name, "fetch", "Succeeded");
    t.kube.finishTask(ns, name, "test", "Succeeded");
    t.kube.finishRun(ns, name, { status: "True", reason: "Succeeded" });
    const check = await completedJobCheck(t, "unit-tests");
    const link = local(t, check.detailsUrl!);

    // Tekton and the cluster clean up: pods, then the PipelineRun itself.
    await waitFor(async () => (await page(link)).text.includes("42 tests passed"), "archived log on the page");
    t.kube.deletePods(ns, name);
    t.kube.deletePipelineRun(ns, name);
    const after = await page(link);
    expect(after.status).toBe(200);
    expect(after.text).toContain("42 tests passed");
    expect(after.text).toContain("&lt;b&gt;report&lt;/b&gt; written");
    expect(after.text).toContain("cloned with token ***");
    expect(after.text).not.toContain("s3cr3t-t0ken-value");
  });

  it("protects private repositories: the page needs the signed token of the posted link", async () => {
    t = await startJobsMario();
    t.github.state.addRepo(repo, { private: true });
    await sendPullRequest(t, "opened");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    playRun(t, run.metadata.name, "Succeeded", "private output\n");
    const check = await completedJobCheck(t, "unit-tests");
    expect(check.detailsUrl).toMatch(/\?token=[0-9]+\.[A-Za-z0-9_-]{43}$/);
    const link = local(t, check.detailsUrl!);
    await waitFor(async () => (await page(link)).text.includes("private output"), "log via the signed link");
    const bare = await page(link.replace(/\?token=.*$/, ""));
    expect(bare.status).toBe(403);
    expect(bare.text).not.toContain("private output");
    const forged = await page(link.replace(/.{4}$/, "AAAA"));
    expect(forged.status).toBe(403);
    expect((await page(link.replace(/\?token=.*$/, "/logs.json"))).status).toBe(403);
    // The public run list does not name it either.
    const list = await page(`${t.mario.url}/`);
    expect(list.text).not.toContain(run.metadata.name);
    expect(list.text).toMatch(/\d+ runs? of private repositories (is|are) not listed here/);
  });

  it("follows a running run through logs.json, then keeps the partial log of a run mario cancels (Tekton deletes its pods)", async () => {
    t = await startJobsMario();
    await t.comment("/test unit-tests");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    const name: string = run.metadata.name;
    t.kube.startRun(ns, name, { tasks: [{ name: "test", steps: ["unit"] }] });
    t.kube.appendLog(ns, podOf(t, name), "step-unit", "first line\n");
    const live = await waitFor(async () => {
      const res = await fetch(`${t.mario.url}/runs/${ns}/${name}/logs.json`);
      const data = (await res.json()) as { finished: boolean; steps: { text?: string }[] };
      return data.steps[0]?.text?.includes("first line") ? data : undefined;
    }, "live log");
    expect(live.finished).toBe(false);
    const html = (await page(`${t.mario.url}/runs/${ns}/${name}`)).text;
    expect(html).toContain("/logs.json"); // the page follows the log while the run goes on

    t.kube.appendLog(ns, podOf(t, name), "step-unit", "second line\n");
    await t.comment("/cancel");
    await waitFor(() => checksNamed(t, "mario/unit-tests")[0]?.conclusion === "cancelled", "cancelled");
    expect(t.kube.pods(ns)).toEqual([]);
    const kept = await waitFor(async () => {
      const p = await page(`${t.mario.url}/runs/${ns}/${name}`);
      return p.text.includes("second line") ? p.text : undefined;
    }, "snapshot on the page");
    expect(kept).toContain("The run was cancelled; this is the log up to the cancel");
  });

  it("keeps following a live log longer than maxStepBytes: its beginning, the truncation marker and its latest lines, masked", async () => {
    t = await startJobsMario("logs:\n  maxStepBytes: 1024\n");
    await t.comment("/test unit-tests");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    const name: string = run.metadata.name;
    t.kube.startRun(ns, name, { tasks: [{ name: "test", steps: ["unit"] }] });
    const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(4, "0")} ${"x".repeat(40)}\n`).join("");
    t.kube.appendLog(ns, podOf(t, name), "step-unit", `first line\n${lines(0, 100)}`);
    const json = async () => ((await (await fetch(`${t.mario.url}/runs/${ns}/${name}/logs.json`)).json()) as { steps: { text?: string }[] }).steps[0]?.text ?? "";
    const first = await waitFor(async () => ((await json()).includes("line 0099") ? json() : undefined), "the latest line of the live log");
    expect(first).toContain("first line");
    expect(first).toContain("----- mario truncated this log: it has more than 1024 bytes so far");
    expect(first).not.toContain("line 0050");
    expect(Buffer.byteLength(first)).toBeLessThan(1024 + 200);

    // The step goes on: the view moves with it, masked.
    t.kube.appendLog(ns, podOf(t, name), "step-unit", `${lines(100, 200)}now using s3cr3t-t0ken-value\n`);
    const later = await waitFor(async () => ((await json()).includes("now using") ? json() : undefined), "newer lines");
    expect(later).toContain("line 0199");
    expect(later).toContain("now using ***");
    expect(later).not.toContain("s3cr3t");
    expect(later).toContain("first line");
    expect((await page(`${t.mario.url}/runs/${ns}/${name}`)).text).toContain("now using ***");
  });

  it("archives a timed-out run: its link shows the finished task's log after the cluster deleted everything, and says what the timeout took", async () => {
    t = await startJobsMario();
    await t.comment("/test unit-tests");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    const name: string = run.metadata.name;
    t.kube.startRun(ns, name, { tasks: [{ name: "build", steps: ["compile"] }, { name: "test", steps: ["unit"] }] });
    const pod = (task: string): string => t.kube.taskRuns(ns).find((tr) => tr.metadata.name === `${name}-${task}`).status.podName;
    const [buildPod, testPod] = [pod("build"), pod("test")];
    t.kube.appendLog(ns, buildPod, "step-compile", "compiled 12 files\n");
    t.kube.appendLog(ns, testPod, "step-unit", "still testing\n");
    t.kube.finishTask(ns, name, "build", "Succeeded");
    // Tekton times the run out: the running task's pod is deleted with it.
    t.kube.finishRun(ns, name, { status: "False", reason: "PipelineRunTimeout", message: `PipelineRun "${name}" failed to finish within "1h0m0s"` });
    const check = await completedJobCheck(t, "unit-tests");
    expect(check.conclusion).toBe("timed_out");
    const link = local(t, check.detailsUrl!);
    await waitFor(async () => (await page(link)).text.includes("compiled 12 files"), "archived log on the page");
    t.kube.deletePods(ns, name);
    t.kube.deletePipelineRun(ns, name);
    const after = await page(link);
    expect(after.status).toBe(200);
    expect(after.text).toContain("compiled 12 files");
    expect(after.text).toContain(`The pod ${testPod} was deleted before mario could archive this step&#39;s log, so it is lost`);
  });

  it("says what was lost when a pod is deleted before its log was archived, and still concludes", async () => {
    t = await startJobsMario();
    await t.comment("/test unit-tests");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    const name: string = run.metadata.name;
    t.kube.startRun(ns, name, { tasks: [{ name: "test", steps: ["unit"] }] });
    t.kube.appendLog(ns, podOf(t, name), "step-unit", "this will be lost\nsrc/a.ts:1:1: error boom\n");
    t.kube.deletePods(ns, name); // e.g. evicted, before the task ended
    t.kube.finishRun(ns, name, { status: "False", reason: "Failed" });
    const check = await completedJobCheck(t, "unit-tests");
    expect(check.conclusion).toBe("failure");
    const html = (await page(`${t.mario.url}/runs/${ns}/${name}`)).text;
    expect(html).toContain("was deleted before mario could archive this step&#39;s log, so it is lost");
  });

  it("caps a 50 MB step log with a truncation marker, streaming it in bounded memory", async () => {
    t = await startJobsMario("logs:\n  maxStepBytes: 65536\n");
    await t.comment("/test unit-tests");
    const [run] = await waitForRuns(t, "unit-tests", 1);
    const name: string = run.metadata.name;
    t.kube.startRun(ns, name, { tasks: [{ name: "test", steps: ["unit"] }] });
    const line = `${"x".repeat(99)}\n`;
    const big = `first line\n${line.repeat(500_000)}last line with s3cr3t-t0ken-value\n`;
    expect(big.length).toBeGreaterThan(50_000_000);
    t.kube.appendLog(ns, podOf(t, name), "step-unit", big);
    const heapBefore = process.memoryUsage().heapUsed;
    let peak = heapBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 5);
    const started = Date.now();
    t.kube.finishTask(ns, name, "test", "Succeeded");
    t.kube.finishRun(ns, name, { status: "True", reason: "Succeeded" });
    await completedJobCheck(t, "unit-tests");
    const tookMs = Date.now() - started;
    clearInterval(sampler);
    const html = (await page(`${t.mario.url}/runs/${ns}/${name}`)).text;
    expect(html).toContain("first line");
    expect(html).toContain("last line with ***");
    expect(html).toMatch(new RegExp(`----- mario truncated this log: [0-9]+ of ${big.length} bytes are not kept`));
    expect(html.length).toBeLessThan(200_000);
    // Holding the log (or its UTF-16 string) would add 50-100 MB to the heap; streaming keeps it near the cap.
    expect(peak - heapBefore).toBeLessThan(40_000_000);
    expect(tookMs).toBeLessThan(20_000);
    console.info(`50 MB log archived in ${tookMs} ms; peak heap growth ${Math.round((peak - heapBefore) / 1e6)} MB`);
  });

  it("archives a run once when two replicas race for it", async () => {
    t = await startJobsMario();
    const tekton = kubeTekton(t.kube.kubeConfig());
    // A run mario does not watch (no managed-by label), archived directly by two archivers sharing Redis.
    await tekton.createPipelineRun(ns, { apiVersion: "tekton.dev/v1", kind: "PipelineRun", metadata: { name: "race-1", namespace: ns }, spec: {} });
    t.kube.startRun(ns, "race-1", { tasks: [{ name: "test", steps: ["unit"] }] });
    t.kube.appendLog(ns, podOf(t, "race-1"), "step-unit", "raced\n");
    t.kube.finishTask(ns, "race-1", "test", "Succeeded");
    t.kube.finishRun(ns, "race-1", { status: "True", reason: "Succeeded" });
    const record = {
      meta: { namespace: ns, name: "race-1", repo: { owner: "octo", name: "demo" } },
      status: { state: "succeeded", results: [] },
      tasks: taskStatuses(await tekton.listTaskRuns(ns, "race-1")),
    } as unknown as RunRecord;
    const prefix = `${t.prefix}:`;
    const [a, b] = [new Redis(redisUrl(), { protocol: 2 }), new Redis(redisUrl(), { protocol: 2 })];
    try {
      const archivers = [a, b].map((redis) =>
        createLogArchive({ redis, prefix, tekton, lock: redisLock(redis, prefix), options: { maxStepBytes: 65536, retentionDays: 1, streamTimeoutMs: 5000 } }),
      );
      const results = await Promise.allSettled(archivers.map((x) => x.archive(record, "final")));
      expect(results.filter((r) => r.status === "fulfilled" && r.value === true)).toHaveLength(1);
      const other = results.find((r) => !(r.status === "fulfilled" && r.value === true))!;
      if (other.status === "rejected") expect((other.reason as Error).name).toBe("LockBusyError");
      // The loser's retry finds the work done.
      expect(await archivers[1]!.archive(record, "final")).toBe(false);
      const stored = await archivers[0]!.read(ns, "race-1");
      expect([...stored.values()].map((s) => [s.status, s.text])).toEqual([["archived", "raced\n"]]);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it("shows the queued position and a job's failure summary, masked, on its check run", async () => {
    t = await startJobsMario();
    await sendPullRequest(t, "opened");
    const [lint] = await waitForRuns(t, "lint", 1);
    playRun(t, lint.metadata.name, "Failed", "using s3cr3t-t0ken-value\nsrc/app.ts:9:1: warning unused variable\n");
    const check = await completedJobCheck(t, "lint");
    expect(check.output.summary).toContain("using ***");
    expect(check.output.summary).not.toContain("s3cr3t");
    expect(check.output.annotations).toEqual([expect.objectContaining({ path: "src/app.ts", start_line: 9, annotation_level: "warning" })]);
    expect(runsOf(t, "lint")).toHaveLength(1);
  });
});
