/* eslint-disable @typescript-eslint/no-explicit-any -- custom objects are untyped JSON */
import { PassThrough } from "node:stream";
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  Log,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  makeInformer,
  type KubeConfig,
} from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startFakeKube, type FakeKube } from "./fake-kube.js";

const NS = "ci";
const PR = { group: "tekton.dev", version: "v1", plural: "pipelineruns" } as const;

function pipelineRun(name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "tekton.dev/v1",
    kind: "PipelineRun",
    metadata: { name, labels },
    spec: { pipelineRef: { name: "build" }, params: [{ name: "revision", value: "main" }], ...spec },
  };
}

function condition(run: any): { status: string; reason: string; message: string } | undefined {
  return run?.status?.conditions?.find((c: { type: string }) => c.type === "Succeeded");
}

async function apiError(promise: Promise<unknown>): Promise<ApiException<string>> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiException);
    return error as ApiException<string>;
  }
  throw new Error("expected the call to fail");
}

interface WatchEvent {
  type: string;
  object: any;
}

/** Starts a real client-node Watch and collects its events. */
async function watchEvents(kc: KubeConfig, path: string, query: Record<string, string | number | boolean | undefined>) {
  const events: WatchEvent[] = [];
  let resolveDone!: (err: unknown) => void;
  const done = new Promise<unknown>((resolve) => (resolveDone = resolve));
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, object) => events.push({ type, object }),
    (err) => resolveDone(err ?? null),
  );
  const summary = () => events.map((e) => `${e.type} ${e.object?.metadata?.name ?? e.object?.code ?? ""}`.trim());
  return { events, done, controller, summary };
}

describe("fake Kubernetes API server with the real @kubernetes/client-node", () => {
  let fake: FakeKube;
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  let core: CoreV1Api;

  beforeEach(async () => {
    fake = await startFakeKube({ historyLimit: 50 });
    kc = fake.kubeConfig();
    custom = kc.makeApiClient(CustomObjectsApi);
    core = kc.makeApiClient(CoreV1Api);
  });

  afterEach(async () => {
    await fake.close();
  });

  const create = (body: unknown) => custom.createNamespacedCustomObject({ ...PR, namespace: NS, body });
  const mergePatch = (name: string, body: unknown) =>
    custom.patchNamespacedCustomObject({ ...PR, namespace: NS, name, body }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));

  it("creates, gets, and answers 409 AlreadyExists on a duplicate name", async () => {
    const created = await create(pipelineRun("run-1", { app: "mario" }));
    expect(created.metadata).toMatchObject({ name: "run-1", namespace: NS, labels: { app: "mario" }, generation: 1 });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const got = await custom.getNamespacedCustomObject({ ...PR, namespace: NS, name: "run-1" });
    expect(got).toEqual(created);
    expect(fake.getPipelineRun(NS, "run-1")?.metadata.uid).toBe(created.metadata.uid);

    const dup = await apiError(create(pipelineRun("run-1")));
    expect(dup.code).toBe(409);
    expect(JSON.parse(dup.body)).toMatchObject({ kind: "Status", reason: "AlreadyExists", code: 409 });

    const missing = await apiError(custom.getNamespacedCustomObject({ ...PR, namespace: NS, name: "nope" }));
    expect(missing.code).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ reason: "NotFound", message: 'pipelineruns.tekton.dev "nope" not found' });

    const generated = await create({ ...pipelineRun(""), metadata: { generateName: "mario-build-" } });
    expect(generated.metadata.name).toMatch(/^mario-build-[a-z0-9]{5}$/);
    expect(Number(generated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
  });

  it("lists with label selectors, limit and continue", async () => {
    await create(pipelineRun("a", { app: "mario", pr: "1" }));
    await create(pipelineRun("b", { app: "mario", pr: "2" }));
    await create(pipelineRun("c", { app: "other" }));
    const names = async (labelSelector?: string) =>
      ((await custom.listNamespacedCustomObject({ ...PR, namespace: NS, labelSelector })).items as any[]).map((i) => i.metadata.name);

    expect(await names()).toEqual(["a", "b", "c"]);
    expect(await names("app=mario")).toEqual(["a", "b"]);
    expect(await names("app==mario,pr!=1")).toEqual(["b"]);
    expect(await names("pr in (1, 3)")).toEqual(["a"]);
    expect(await names("pr notin (1)")).toEqual(["b", "c"]);
    expect(await names("pr")).toEqual(["a", "b"]);
    expect(await names("!pr")).toEqual(["c"]);
    expect((await apiError(names("app in ("))).code).toBe(400);

    const page1 = await custom.listNamespacedCustomObject({ ...PR, namespace: NS, limit: 2 });
    expect(page1.kind).toBe("PipelineRunList");
    expect(page1.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(page1.items.map((i: any) => i.metadata.name)).toEqual(["a", "b"]);
    const page2 = await custom.listNamespacedCustomObject({ ...PR, namespace: NS, limit: 2, _continue: page1.metadata.continue });
    expect(page2.items.map((i: any) => i.metadata.name)).toEqual(["c"]);
    expect(page2.metadata.continue).toBeUndefined();

    const all = await custom.listClusterCustomObject({ ...PR, labelSelector: "app=mario" });
    expect(all.items).toHaveLength(2);
  });

  it("merge patch of spec.status to Cancelled cancels a running run like Tekton", async () => {
    await create(pipelineRun("run-c"));
    fake.startRun(NS, "run-c", { tasks: [{ name: "clone", steps: ["clone"] }, { name: "build", steps: ["build", "push"] }] });
    const running = fake.getPipelineRun(NS, "run-c");
    expect(condition(running)).toMatchObject({ status: "Unknown", reason: "Running" });
    expect(running.status.childReferences).toEqual([
      { apiVersion: "tekton.dev/v1", kind: "TaskRun", name: "run-c-clone", pipelineTaskName: "clone" },
      { apiVersion: "tekton.dev/v1", kind: "TaskRun", name: "run-c-build", pipelineTaskName: "build" },
    ]);
    expect(fake.pods(NS).map((p) => p.metadata.name)).toEqual(["run-c-build-pod", "run-c-clone-pod"]);

    const patched = await mergePatch("run-c", { spec: { status: "Cancelled" } });
    expect(patched.spec.status).toBe("Cancelled");
    const got = await custom.getNamespacedCustomObject({ ...PR, namespace: NS, name: "run-c" });
    expect(condition(got)).toMatchObject({ status: "False", reason: "Cancelled", message: 'PipelineRun "run-c" was cancelled' });
    expect(got.status.completionTime).toBeDefined();
    expect(fake.pods(NS)).toEqual([]);
    for (const tr of fake.taskRuns(NS)) expect(condition(tr)).toMatchObject({ status: "False", reason: "TaskRunCancelled" });

    // JSON patch is the client's default; strategic merge is refused for custom resources.
    const labelled = await custom.patchNamespacedCustomObject({
      ...PR,
      namespace: NS,
      name: "run-c",
      body: [{ op: "add", path: "/metadata/labels", value: { seen: "yes" } }],
    });
    expect(labelled.metadata.labels).toEqual({ seen: "yes" });
    const smp = await apiError(
      custom.patchNamespacedCustomObject(
        { ...PR, namespace: NS, name: "run-c", body: { metadata: { labels: { x: "y" } } } },
        setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(smp.code).toBe(415);
  });

  it("keeps a pending run pending until spec.status is cleared, then applies the deferred startRun", async () => {
    await create(pipelineRun("run-p", {}, { status: "PipelineRunPending" }));
    expect(condition(fake.getPipelineRun(NS, "run-p"))).toMatchObject({ status: "Unknown", reason: "PipelineRunPending" });
    fake.startRun(NS, "run-p", { tasks: [{ name: "build" }] });
    expect(fake.taskRuns(NS)).toEqual([]);

    await mergePatch("run-p", { spec: { status: null } });
    const run = fake.getPipelineRun(NS, "run-p");
    expect(condition(run)).toMatchObject({ status: "Unknown", reason: "Running" });
    expect(run.status.startTime).toBeDefined();
    const [taskRun] = fake.taskRuns(NS);
    expect(taskRun.metadata.labels).toMatchObject({ "tekton.dev/pipelineRun": "run-p", "tekton.dev/pipelineTask": "build" });
    expect(taskRun.status).toMatchObject({ podName: "run-p-build-pod", steps: [{ name: "build", container: "step-build" }] });

    fake.finishTask(NS, "run-p", "build", "Succeeded");
    fake.finishRun(NS, "run-p", { status: "True", reason: "Succeeded", results: [{ name: "IMAGE_DIGEST", value: "sha256:abc" }] });
    const done = fake.getPipelineRun(NS, "run-p");
    expect(condition(done)).toMatchObject({ status: "True", reason: "Succeeded", message: "Tasks Completed: 1 (Failed: 0, Cancelled 0), Skipped: 0" });
    expect(done.status.results).toEqual([{ name: "IMAGE_DIGEST", value: "sha256:abc" }]);
    expect(fake.taskRuns(NS)[0].status.steps[0].terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
  });

  it("watch delivers ADDED, MODIFIED and DELETED in order, filtered by label", async () => {
    const w = await watchEvents(kc, `/apis/tekton.dev/v1/namespaces/${NS}/pipelineruns`, { labelSelector: "app=mario" });
    await create(pipelineRun("w-1", { app: "mario" }));
    await create(pipelineRun("ignored", { app: "other" }));
    await mergePatch("w-1", { metadata: { annotations: { note: "x" } } });
    await custom.deleteNamespacedCustomObject({ ...PR, namespace: NS, name: "w-1" });
    await vi.waitFor(() => expect(w.summary()).toEqual(["ADDED w-1", "MODIFIED w-1", "DELETED w-1"]));
    const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    w.controller.abort();
    expect(fake.requests.some((r) => r.query.watch === "true" && r.query.labelSelector === "app=mario" && r.status === 200)).toBe(true);
  });

  it("a watch resumed from a resourceVersion replays the events it missed", async () => {
    const first = await create(pipelineRun("r-1"));
    const since = first.metadata.resourceVersion;
    await create(pipelineRun("r-2"));
    await mergePatch("r-1", { metadata: { labels: { step: "two" } } });
    const w = await watchEvents(kc, `/apis/tekton.dev/v1/namespaces/${NS}/pipelineruns`, { resourceVersion: since });
    await vi.waitFor(() => expect(w.summary()).toEqual(["ADDED r-2", "MODIFIED r-1"]));
    await create(pipelineRun("r-3"));
    await vi.waitFor(() => expect(w.summary()).toEqual(["ADDED r-2", "MODIFIED r-1", "ADDED r-3"]));
    w.controller.abort();

    // Without a resourceVersion the watch starts with the current state.
    const fresh = await watchEvents(kc, `/apis/tekton.dev/v1/namespaces/${NS}/pipelineruns`, {});
    await vi.waitFor(() => expect(fresh.summary()).toEqual(["ADDED r-1", "ADDED r-2", "ADDED r-3"]));
    fresh.controller.abort();
  });

  it("a watch from an expired resourceVersion gets one ERROR 410 Expired and the stream ends", async () => {
    const first = await create(pipelineRun("old"));
    await create(pipelineRun("newer"));
    fake.compactHistory();
    const w = await watchEvents(kc, `/apis/tekton.dev/v1/namespaces/${NS}/pipelineruns`, { resourceVersion: first.metadata.resourceVersion });
    expect(await w.done).toBeNull();
    expect(w.events).toHaveLength(1);
    expect(w.events[0]).toMatchObject({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } });

    // The bounded history also expires by itself.
    for (let i = 0; i < 60; i++) await mergePatch("old", { metadata: { labels: { n: String(i) } } });
    const w2 = await watchEvents(kc, `/apis/tekton.dev/v1/namespaces/${NS}/pipelineruns`, { resourceVersion: first.metadata.resourceVersion });
    await w2.done;
    expect(w2.summary()).toEqual(["ERROR 410"]);
  });

  it("dropWatches ends open streams and the client's done callback fires", async () => {
    const w = await watchEvents(kc, `/apis/tekton.dev/v1/pipelineruns`, { allowWatchBookmarks: true });
    await create(pipelineRun("d-1"));
    await vi.waitFor(() => expect(w.summary()).toEqual(["ADDED d-1"]));
    fake.dropWatches();
    await expect(Promise.race([w.done.then(() => "done"), new Promise((r) => setTimeout(() => r("timeout"), 5000))])).resolves.toBe("done");
  });

  it("an informer resumes after a graceful end and relists after 410 Expired", async () => {
    await create(pipelineRun("i-1"));
    const informer = makeInformer(kc, `/apis/tekton.dev/v1/namespaces/${NS}/pipelineruns`, () =>
      custom.listNamespacedCustomObject({ ...PR, namespace: NS }),
    );
    const seen: string[] = [];
    informer.on("add", (o: any) => seen.push(`add ${o.metadata.name}`));
    informer.on("update", (o: any) => seen.push(`update ${o.metadata.name}`));
    informer.on("delete", (o: any) => seen.push(`delete ${o.metadata.name}`));
    informer.on("error", (e: unknown) => seen.push(`error ${String(e)}`));
    await informer.start();
    await vi.waitFor(() => expect(seen).toEqual(["add i-1"]));

    fake.dropWatches({ graceful: true });
    await create(pipelineRun("i-2"));
    await vi.waitFor(() => expect(seen).toEqual(["add i-1", "add i-2"]));
    const watchesFromRv = fake.requests.filter((r) => r.query.watch === "true" && r.query.resourceVersion);
    expect(watchesFromRv.length).toBeGreaterThanOrEqual(2);

    await mergePatch("i-1", { metadata: { labels: { x: "1" } } });
    await vi.waitFor(() => expect(seen).toContain("update i-1"));
    fake.compactHistory();
    fake.dropWatches({ graceful: true });
    // The informer's next watch gets 410, so it lists again (after its 1 s reconnect delay) and sees the deletion.
    fake.deletePipelineRun(NS, "i-2");
    await vi.waitFor(() => expect(seen).toContain("delete i-2"), { timeout: 5000 });
    expect(fake.requests.filter((r) => r.method === "GET" && !r.query.watch).length).toBeGreaterThanOrEqual(1);
    await informer.stop();
  });

  it("sends BOOKMARK events when allowed", async () => {
    await fake.close();
    fake = await startFakeKube({ bookmarkIntervalMs: 50 });
    kc = fake.kubeConfig();
    const w = await watchEvents(kc, `/apis/tekton.dev/v1/namespaces/${NS}/pipelineruns`, { allowWatchBookmarks: true, resourceVersion: "0" });
    await vi.waitFor(() => expect(w.events.some((e) => e.type === "BOOKMARK")).toBe(true));
    expect(w.events.find((e) => e.type === "BOOKMARK")?.object).toMatchObject({ kind: "PipelineRun", metadata: { resourceVersion: "0" } });
    w.controller.abort();
  });

  it("serves step logs: whole, tailLines, limitBytes, missing container", async () => {
    await create(pipelineRun("log-run"));
    fake.startRun(NS, "log-run", { tasks: [{ name: "build", steps: ["build", "push"] }] });
    const pod = fake.taskRuns(NS)[0].status.podName;
    fake.appendLog(NS, pod, "step-build", "line 1\nline 2\n");
    fake.appendLog(NS, pod, "step-build", "line 3");

    const read = (extra: Record<string, unknown> = {}) =>
      core.readNamespacedPodLog({ name: pod, namespace: NS, container: "step-build", ...extra });
    expect(await read()).toBe("line 1\nline 2\nline 3\n");
    expect(await read({ tailLines: 2 })).toBe("line 2\nline 3\n");
    expect(await read({ limitBytes: 4 })).toBe("line");
    expect(await core.readNamespacedPodLog({ name: pod, namespace: NS, container: "step-push" })).toBe("");

    const badContainer = await apiError(read({ container: "step-nope" }));
    expect(badContainer.code).toBe(400);
    expect(JSON.parse(badContainer.body).message).toBe(`container step-nope is not valid for pod ${pod}`);
    const noContainer = await apiError(core.readNamespacedPodLog({ name: pod, namespace: NS }));
    expect(noContainer.code).toBe(400);

    const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: "tekton.dev/pipelineRun=log-run" });
    expect(pods.items.map((p) => p.spec?.containers.map((c) => c.name))).toEqual([["step-build", "step-push"]]);
  });

  it("follow=true streams appended lines until the step finishes", async () => {
    await create(pipelineRun("follow-run"));
    fake.startRun(NS, "follow-run", { tasks: [{ name: "build" }] });
    const pod = "follow-run-build-pod";
    fake.appendLog(NS, pod, "step-build", "before");

    let text = "";
    const out = new PassThrough();
    out.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const ended = new Promise<void>((resolve) => out.on("end", () => resolve()));
    await new Log(kc).log(NS, pod, "step-build", out, { follow: true });

    await vi.waitFor(() => expect(text).toBe("before\n"));
    fake.appendLog(NS, pod, "step-build", "during 1\n");
    fake.appendLog(NS, pod, "step-build", "during 2");
    await vi.waitFor(() => expect(text).toBe("before\nduring 1\nduring 2\n"));
    fake.finishTask(NS, "follow-run", "build", "Failed");
    await ended;
    expect(text).toBe("before\nduring 1\nduring 2\n");
    expect(condition(fake.taskRuns(NS)[0])).toMatchObject({ status: "False", reason: "Failed" });
  });

  it("deletePods makes log reads 404 while runs remain", async () => {
    await create(pipelineRun("gc-run"));
    fake.startRun(NS, "gc-run");
    const pod = fake.taskRuns(NS)[0].status.podName;
    fake.appendLog(NS, pod, "step-build", "hello");
    expect(await core.readNamespacedPodLog({ name: pod, namespace: NS, container: "step-build" })).toBe("hello\n");

    fake.deletePods(NS, "gc-run");
    const gone = await apiError(core.readNamespacedPodLog({ name: pod, namespace: NS, container: "step-build" }));
    expect(gone.code).toBe(404);
    expect(JSON.parse(gone.body)).toMatchObject({ reason: "NotFound", message: `pods "${pod}" not found` });
    expect(fake.taskRuns(NS)).toHaveLength(1);
    expect(fake.getPipelineRun(NS, "gc-run")).toBeDefined();
  });

  it("deleting a PipelineRun cascades to its TaskRuns and pods", async () => {
    await create(pipelineRun("del-run"));
    fake.startRun(NS, "del-run", { tasks: [{ name: "a" }, { name: "b" }] });
    const w = await watchEvents(kc, `/api/v1/namespaces/${NS}/pods`, { resourceVersion: fake.getPipelineRun(NS, "del-run").metadata.resourceVersion });
    const status = await custom.deleteNamespacedCustomObject({ ...PR, namespace: NS, name: "del-run" });
    expect(status).toMatchObject({ kind: "Status", status: "Success", details: { name: "del-run" } });
    expect(fake.pipelineRuns(NS)).toEqual([]);
    expect(fake.taskRuns(NS)).toEqual([]);
    expect(fake.pods(NS)).toEqual([]);
    await vi.waitFor(() => expect(w.summary().sort()).toEqual(["DELETED del-run-a-pod", "DELETED del-run-b-pod"]));
    w.controller.abort();
  });

  it("failNext injects errors that surface as ApiException; setDown answers 503", async () => {
    fake.failNext({ method: "GET", path: /\/pipelineruns\/x$/ }, { status: 500 });
    const injected = await apiError(custom.getNamespacedCustomObject({ ...PR, namespace: NS, name: "x" }));
    expect(injected.code).toBe(500);
    expect(JSON.parse(injected.body)).toMatchObject({ kind: "Status", code: 500, reason: "InternalError" });
    // Used up: the next call reaches the real handler.
    expect((await apiError(custom.getNamespacedCustomObject({ ...PR, namespace: NS, name: "x" }))).code).toBe(404);

    fake.failNext({ path: /watch=true/ }, { status: 429 }, 1);
    const w = await watchEvents(kc, `/apis/tekton.dev/v1/namespaces/${NS}/pipelineruns`, {});
    expect(await w.done).toMatchObject({ statusCode: 429 });

    const open = await watchEvents(kc, `/apis/tekton.dev/v1/namespaces/${NS}/pipelineruns`, {});
    fake.setDown(true);
    expect(await open.done).toBeInstanceOf(Error);
    expect((await apiError(custom.listNamespacedCustomObject({ ...PR, namespace: NS }))).code).toBe(503);
    fake.setDown(false);
    expect((await custom.listNamespacedCustomObject({ ...PR, namespace: NS })).items).toEqual([]);
    expect(fake.requests.map((r) => r.status)).toEqual([500, 404, 429, 200, 503, 200]);

    fake.failNext({ path: /^\/version$/ }, { status: 504, delayMs: 100 });
    const started = Date.now();
    expect((await fetch(`${fake.url}/version`)).status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    fake.failNext({ path: /^\/version$/ }, { status: 200, hang: true });
    await expect(fetch(`${fake.url}/version`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(fake.requests.at(-1)).toMatchObject({ path: "/version", status: 0 });
  });

  it("holdResponse applies a write at once and holds only its answer until released", async () => {
    const release = fake.holdResponse({ method: "POST", path: /\/pipelineruns$/ });
    let answered = false;
    const creating = create(pipelineRun("held")).then((r) => ((answered = true), r));
    await vi.waitFor(() => expect(fake.getPipelineRun(NS, "held")).toBeDefined());
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    release();
    expect((await creating).metadata.name).toBe("held");
    // One request only: the next one is answered at once.
    expect((await create(pipelineRun("free"))).metadata.name).toBe("free");
  });

  it("answers health, version and discovery, and requires a bearer token for the API", async () => {
    expect(await (await fetch(`${fake.url}/healthz`)).text()).toBe("ok");
    expect(await (await fetch(`${fake.url}/readyz`)).text()).toBe("ok");
    expect(await (await fetch(`${fake.url}/version`)).json()).toMatchObject({ major: "1", gitVersion: expect.any(String) });
    const auth = { headers: { Authorization: "Bearer t" } };
    expect(await (await fetch(`${fake.url}/apis`, auth)).json()).toMatchObject({ kind: "APIGroupList" });
    expect(await (await fetch(`${fake.url}/api`, auth)).json()).toMatchObject({ kind: "APIVersions", versions: ["v1"] });
    expect((await fetch(`${fake.url}/apis/tekton.dev/v1/pipelineruns`)).status).toBe(401);
  });
});
