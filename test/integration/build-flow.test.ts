import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repo, publicUrl, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";

let t: TestMario;
beforeEach(async () => {
  t = await startTestMario();
});
afterEach(async () => {
  t.github.assertNoViolations();
  await t.close();
});

const ns = "mario";

describe("/build image tag=mario on a PR", () => {
  it("creates a PipelineRun, reports a check run and one comment, and edits both when the run finishes", async () => {
    const pr = t.github.state.pullRequest(repo, 42);
    const res = await t.comment("Looks good, let's try it:\n\n/build image tag=mario\n");
    expect(res.status).toBeLessThan(300);

    // The PipelineRun, with the PR's head commit and the validated arguments.
    const run = await waitFor(() => t.kube.pipelineRuns(ns)[0], "a PipelineRun");
    const name: string = run.metadata.name;
    expect(run.apiVersion).toBe("tekton.dev/v1");
    expect(run.spec.pipelineRef).toEqual({ name: "mario-build-image" });
    expect(run.spec.params).toEqual(
      expect.arrayContaining([
        { name: "GIT_URL", value: expect.stringMatching(/^https?:\/\/.+\/octo\/demo\.git$/) },
        { name: "GIT_REVISION", value: pr.head.sha },
        { name: "IMAGE", value: "registry.example.com/octo/demo:mario" },
        { name: "CONTEXT", value: "." },
        { name: "PR_NUMBER", value: "42" },
        { name: "BASE_REF", value: pr.base.ref },
      ]),
    );
    expect(run.metadata.labels["mario.dev/pr"]).toBe("42");
    expect(run.metadata.annotations["mario.dev/requester"]).toBe("alice");

    // A queued check run on the head, its details link pointing at mario's log page; one comment saying who started what.
    const logUrl = `${publicUrl}/runs/${ns}/${name}`;
    const check = await waitFor(() => t.github.state.checkRuns(repo, pr.head.sha)[0], "a check run");
    expect(check).toMatchObject({ name: "mario/build image", status: "queued", detailsUrl: logUrl, externalId: `${ns}/${name}` });
    const comment = await waitFor(() => t.github.state.comments(repo, 42).find((c) => c.user.type === "Bot"), "mario's comment");
    expect(comment.body).toContain("/build image tag=mario");
    expect(comment.body).toContain("@alice");
    expect(comment.body).toContain(logUrl);

    // Tekton starts it: in progress.
    t.kube.startRun(ns, name, { tasks: [{ name: "fetch", steps: ["clone"] }, { name: "build", steps: ["build-and-push"] }] });
    await waitFor(() => t.github.state.checkRun(check.id)?.status === "in_progress", "check run in progress");

    const fetchPod = t.kube.taskRuns(ns).find((tr) => tr.metadata.labels["tekton.dev/pipelineTask"] === "fetch").status.podName;
    const buildPod = t.kube.taskRuns(ns).find((tr) => tr.metadata.labels["tekton.dev/pipelineTask"] === "build").status.podName;
    t.kube.appendLog(ns, fetchPod, "step-clone", "Cloning https://github.com/octo/demo\n<script>alert(1)</script>\n");
    t.kube.appendLog(ns, buildPod, "step-build-and-push", "Pushed registry.example.com/octo/demo:mario\n");
    t.kube.finishTask(ns, name, "fetch", "Succeeded");
    t.kube.finishTask(ns, name, "build", "Succeeded");
    t.kube.finishRun(ns, name, {
      status: "True",
      reason: "Succeeded",
      results: [
        { name: "IMAGE_URL", value: "registry.example.com/octo/demo:mario" },
        { name: "IMAGE_DIGEST", value: "sha256:0123456789abcdef" },
      ],
    });

    // Concluded check run and the same comment, edited (no second comment).
    const done = await waitFor(() => (t.github.state.checkRun(check.id)?.status === "completed" ? t.github.state.checkRun(check.id) : undefined), "check run completed");
    expect(done.conclusion).toBe("success");
    expect(done.output.summary).toContain("registry.example.com/octo/demo:mario@sha256:0123456789abcdef");
    expect(done.output.summary).toMatch(/\| `fetch` \| succeeded \|/);
    const edited = await waitFor(() => {
      const c = t.github.state.comment(comment.id);
      return c?.body.includes("Succeeded") ? c : undefined;
    }, "comment edited");
    expect(edited.body).toContain("Image: `registry.example.com/octo/demo:mario@sha256:0123456789abcdef`");
    expect(t.github.state.comments(repo, 42).filter((c) => c.user.type === "Bot")).toHaveLength(1);
    expect(t.github.state.checkRuns(repo, pr.head.sha)).toHaveLength(1);

    // The log page shows each step's log, escaped.
    const page = await fetch(`${t.mario.url}/runs/${ns}/${name}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Cloning https://github.com/octo/demo");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("Pushed registry.example.com/octo/demo:mario");
    expect(html).toContain("registry.example.com/octo/demo:mario@sha256:0123456789abcdef");
  });

  it("reports a failure with the failing task, step and the last lines of its log", async () => {
    await t.comment("/build image");
    const run = await waitFor(() => t.kube.pipelineRuns(ns)[0], "a PipelineRun");
    const name: string = run.metadata.name;
    expect(run.spec.params).toEqual(expect.arrayContaining([{ name: "IMAGE", value: "registry.example.com/octo/demo:pr-42" }]));
    t.kube.startRun(ns, name, { tasks: [{ name: "build", steps: ["build-and-push"] }] });
    const pod = t.kube.taskRuns(ns)[0].status.podName;
    t.kube.appendLog(ns, pod, "step-build-and-push", Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join("\n") + "\nerror: Dockerfile:3: unknown instruction FROMM\n");
    t.kube.finishTask(ns, name, "build", "Failed");
    t.kube.finishRun(ns, name, { status: "False", reason: "Failed", message: "Tasks Completed: 1 (Failed: 1, Cancelled 0), Skipped: 0" });

    const check = await waitFor(() => t.github.state.checkRuns(repo).find((c) => c.status === "completed"), "completed check run");
    expect(check.conclusion).toBe("failure");
    expect(check.output.summary).toContain("Failed in task `build`, step `build-and-push`");
    expect(check.output.summary).toContain("error: Dockerfile:3: unknown instruction FROMM");
    expect(check.output.summary).not.toContain("line 5\n"); // only the tail
    const comment = await waitFor(() => t.github.state.comments(repo, 42).find((c) => c.body.includes("Failed")), "failure comment");
    expect(comment.body).toContain("unknown instruction FROMM");
  });

  it("reports a cancelled run as cancelled and a timed-out run as timed out", async () => {
    await t.comment("/build image tag=one\n/build image tag=two");
    const runs = await waitFor(() => (t.kube.pipelineRuns(ns).length === 2 ? t.kube.pipelineRuns(ns) : undefined), "two PipelineRuns");
    const [a, b] = runs.map((r) => r.metadata.name as string);
    t.kube.startRun(ns, a!, { tasks: [{ name: "build" }] });
    t.kube.startRun(ns, b!, { tasks: [{ name: "build" }] });
    t.kube.finishRun(ns, a!, { status: "False", reason: "Cancelled", message: 'PipelineRun "x" was cancelled' });
    t.kube.finishRun(ns, b!, { status: "False", reason: "PipelineRunTimeout", message: "PipelineRun timed out after 30m" });
    await waitFor(() => t.github.state.checkRuns(repo).filter((c) => c.status === "completed").length === 2, "both concluded");
    const byRun = (n: string) => t.github.state.checkRuns(repo).find((c) => c.externalId === `${ns}/${n}`)!;
    expect(byRun(a!).conclusion).toBe("cancelled");
    expect(byRun(b!).conclusion).toBe("timed_out");
    expect(t.github.state.comments(repo, 42).filter((c) => c.user.type === "Bot")).toHaveLength(2);
  });
});
