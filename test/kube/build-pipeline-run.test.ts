import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseConfig, loadConfigFile } from "../../src/config/load-config.js";
import { buildPipelineRun } from "../../src/kube/build-pipeline-run.js";
import { labelValue, runName } from "../../src/kube/labels.js";
import type { PipelineRun } from "../../src/kube/tekton-types.js";
import { packageRoot } from "../../src/package-root.js";
import { metaFromPipelineRun } from "../../src/runs/meta-from-pipeline-run.js";
import { runSignature, runSignatureKey } from "../../src/runs/run-signature.js";

const context = {
  repo: { owner: "octo", name: "demo", fullName: "octo/demo", cloneUrl: "https://github.com/octo/demo.git", htmlUrl: "https://github.com/octo/demo" },
  pr: { number: 42, headSha: "a".repeat(40), headRef: "feature", baseRef: "main", baseSha: "b".repeat(40) },
  requester: "alice",
  command: "build",
  args: { target: "image", tag: "mario", context: ".", dockerfile: "Dockerfile" },
};

describe("buildPipelineRun", () => {
  it("builds the default build command's tekton.dev/v1 PipelineRun", () => {
    const config = loadConfigFile();
    const run = buildPipelineRun({
      name: "mario-build-42-abc",
      verb: "build",
      pipeline: config.commands.build!.pipeline,
      defaults: config.defaults,
      context,
      commandLine: "/build image tag=mario",
      prUrl: "https://github.com/octo/demo/pull/42",
      installationId: 7,
      checkName: "mario/build image",
    });
    expect(run.apiVersion).toBe("tekton.dev/v1");
    expect(run.metadata.namespace).toBe("mario");
    expect(run.metadata.labels).toMatchObject({ "app.kubernetes.io/managed-by": "mario", "mario.dev/pr": "42", "mario.dev/repo-owner": "octo", "mario.dev/head-sha": "a".repeat(40) });
    expect(run.metadata.annotations).toMatchObject({ "mario.dev/requester": "alice", "mario.dev/repo": "octo/demo", "mario.dev/installation-id": "7" });
    expect(run.spec.pipelineRef).toEqual({ name: "mario-build-image" });
    expect(run.spec.params).toEqual([
      { name: "GIT_URL", value: "https://github.com/octo/demo.git" },
      { name: "GIT_REVISION", value: "a".repeat(40) },
      { name: "IMAGE", value: "registry.example.com/octo/demo:mario" },
      { name: "CONTEXT", value: "." },
      { name: "DOCKERFILE", value: "Dockerfile" },
      { name: "PR_NUMBER", value: "42" },
      { name: "BASE_REF", value: "main" },
    ]);
    expect(run.spec.taskRunTemplate).toEqual({ serviceAccountName: "mario-pipelines" });
    expect(run.spec.timeouts).toEqual({ pipeline: "30m" });
    expect(run.spec.workspaces?.[0]).toMatchObject({ name: "source", volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"] } } });
  });

  it("passes exactly the params config/tekton/build-image.yaml declares (Tekton refuses undeclared ones)", () => {
    const pipeline = parse(readFileSync(join(packageRoot, "config", "tekton", "build-image.yaml"), "utf8")) as { spec: { params: { name: string; default?: unknown }[] } };
    const declared = pipeline.spec.params.map((p) => p.name).sort();
    const passed = Object.keys(loadConfigFile().commands.build!.pipeline.params).sort();
    expect(passed).toEqual(declared);
    expect(declared).toEqual(expect.arrayContaining(["GIT_URL", "GIT_REVISION", "PR_NUMBER", "BASE_REF"]));
  });

  it("renders resolver params and per-command namespace and service account", () => {
    const config = parseConfig(`defaults: { namespace: ci }
commands:
  docs:
    description: Build the docs
    pipeline:
      namespace: docs-ci
      serviceAccount: docs-bot
      pipelineRef:
        resolver: git
        params: { url: "{{repo.cloneUrl}}", revision: "{{pr.baseRef}}", pathInRepo: .tekton/docs.yaml }
`);
    const run = buildPipelineRun({ name: "n", verb: "docs", pipeline: config.commands.docs!.pipeline, defaults: config.defaults, context, commandLine: "/docs", prUrl: "", installationId: 1, checkName: "mario/docs" });
    expect(run.metadata.namespace).toBe("docs-ci");
    expect(run.spec.taskRunTemplate).toEqual({ serviceAccountName: "docs-bot" });
    expect(run.spec.pipelineRef).toEqual({
      resolver: "git",
      params: [
        { name: "url", value: "https://github.com/octo/demo.git" },
        { name: "revision", value: "main" },
        { name: "pathInRepo", value: ".tekton/docs.yaml" },
      ],
    });
    expect(run.spec.params).toEqual([]);
    expect(run.spec.workspaces).toBeUndefined();
  });
});

describe("names and labels", () => {
  it("gives the same command of the same delivery the same short DNS name", () => {
    const a = runName("build", 42, "octo/demo#42:delivery-1:0");
    expect(a).toBe(runName("build", 42, "octo/demo#42:delivery-1:0"));
    expect(a).not.toBe(runName("build", 42, "octo/demo#42:delivery-1:1"));
    expect(a).toMatch(/^mario-build-42-[0-9a-f]{10}$/);
    expect(runName("a-very-long-verb-that-goes-on-and-on", 123456, "x").length).toBeLessThanOrEqual(63);
  });

  it("turns any string into a valid label value", () => {
    expect(labelValue("dependabot[bot]")).toBe("dependabot-bot");
    expect(labelValue("-x-")).toBe("x");
    expect(labelValue("a".repeat(100))).toHaveLength(63);
  });
});

describe("rebuilding a run record from its PipelineRun", () => {
  const config = loadConfigFile();
  const base = { verb: "nightly", pipeline: config.commands.build!.pipeline, defaults: config.defaults, context, commandLine: "job nightly", prUrl: "https://github.com/octo/demo/pull/42", installationId: 3, checkName: "mario/nightly" };
  const signature = runSignature(runSignatureKey("k".repeat(64)));
  const signed = (run: PipelineRun) => signature.sign({ ...run, metadata: { ...run.metadata, namespace: "mario" } });
  const build = signed(buildPipelineRun({ ...base, name: "mario-build-42-abc", verb: "build" }));

  it("brings a job run back as a job run (reported by its check run, without a PR comment)", () => {
    const job = signed(buildPipelineRun({ ...base, name: "mario-nightly-0-abc", job: { kind: "periodic", name: "nightly", branch: "main" } }));
    expect(metaFromPipelineRun(job, signature)).toMatchObject({ kind: "periodic", job: "nightly", branch: "main", checkName: "mario/nightly", installationId: 3, rebuilt: true });
    const meta = metaFromPipelineRun(build, signature);
    expect(meta?.kind).toBeUndefined();
    expect(meta?.verb).toBe("build");
    expect(meta?.prUrl).toBe("https://github.com/octo/demo/pull/42");
  });

  const annotate = (run: PipelineRun, key: string, value: string | undefined): PipelineRun => {
    const annotations = { ...run.metadata.annotations };
    if (value === undefined) delete annotations[key];
    else annotations[key] = value;
    return { ...run, metadata: { ...run.metadata, annotations } };
  };
  const relabel = (run: PipelineRun, key: string, value: string): PipelineRun => ({ ...run, metadata: { ...run.metadata, labels: { ...run.metadata.labels, [key]: value } } });

  it.each<[string, (run: PipelineRun) => PipelineRun]>([
    ["has no signature (someone else labelled it managed-by=mario)", (r) => annotate(r, "mario.dev/signature", undefined)],
    ["names another installation", (r) => annotate(r, "mario.dev/installation-id", "99")],
    ["names another repository", (r) => annotate(r, "mario.dev/repo", "victim/repo")],
    ["points at another PR", (r) => relabel(r, "mario.dev/pr", "7")],
    ["points at another commit", (r) => relabel(r, "mario.dev/head-sha", "c".repeat(40))],
    ["claims another requester", (r) => annotate(r, "mario.dev/requester", "admin")],
    ["carries another run's signature", (r) => ({ ...r, metadata: { ...r.metadata, name: "mario-build-42-forged" } })],
    ["moved to another namespace", (r) => ({ ...r, metadata: { ...r.metadata, namespace: "other" } })],
    ["was signed with another key", (r) => runSignature("another key").sign(r)],
  ])("ignores a run that %s", (_name, tamper) => {
    expect(metaFromPipelineRun(build, signature)).toBeDefined();
    expect(metaFromPipelineRun(tamper(build), signature)).toBeUndefined();
  });

  it("logs a run that does not verify once, however often the watch shows it", () => {
    const warnings: object[] = [];
    const logged = runSignature(runSignatureKey("k".repeat(64)), { warn: (o) => warnings.push(o) });
    const forged = annotate(build, "mario.dev/installation-id", "99");
    for (let i = 0; i < 3; i++) expect(logged.verify(forged)).toBe(false);
    expect(logged.verify(build)).toBe(true);
    expect(warnings).toEqual([{ run: "mario/mario-build-42-abc" }]);
  });

  // A periodic run as mario v1 signed it (signature computed then, with this key): it is in clusters now, so
  // however labels and annotations change later, it must keep verifying.
  const signedBefore: PipelineRun = {
    apiVersion: "tekton.dev/v1",
    kind: "PipelineRun",
    metadata: {
      namespace: "mario",
      name: "mario-nightly-0-0123456789",
      labels: {
        "app.kubernetes.io/managed-by": "mario",
        "mario.dev/repo-owner": "octo",
        "mario.dev/repo-name": "demo",
        "mario.dev/pr": "0",
        "mario.dev/command": "nightly",
        "mario.dev/head-sha": "a".repeat(40),
        "mario.dev/kind": "periodic",
        "mario.dev/job": "nightly",
      },
      annotations: {
        "mario.dev/repo": "octo/demo",
        "mario.dev/requester": "mario",
        "mario.dev/command-line": "job nightly",
        "mario.dev/pr-url": "",
        "mario.dev/installation-id": "7",
        "mario.dev/check-name": "mario/nightly",
        "mario.dev/branch": "main",
        "mario.dev/tick": "2024-05-01T03:00:00.000Z",
        "mario.dev/signature": "dH0YivRFhc1EvJ9a0Qg0ZFDBrRXYeZFjrJpq3ix-vzc",
      },
    },
    spec: {},
  } as PipelineRun;

  it("still trusts a run signed by an earlier mario, and a label added since does not count", () => {
    expect(signature.verify(signedBefore)).toBe(true);
    expect(metaFromPipelineRun(signedBefore, signature)).toMatchObject({ kind: "periodic", job: "nightly", branch: "main", installationId: 7 });
    expect(signature.verify(relabel(signedBefore, "mario.dev/added-later", "x"))).toBe(true);
  });

  it.each([
    ["kind", "mario.dev/kind", "job"],
    ["job", "mario.dev/job", "deploy"],
    ["repository owner", "mario.dev/repo-owner", "victim"],
  ])("does not trust a run signed by an earlier mario whose %s label was changed", (_name, key, value) => {
    expect(signature.verify(relabel(signedBefore, key, value))).toBe(false);
  });

  it("keeps only http(s) PR links", () => {
    const scripted = signature.sign(annotate(build, "mario.dev/pr-url", "javascript:alert(document.cookie)"));
    expect(metaFromPipelineRun(scripted, signature)?.prUrl).toBe("");
  });
});
