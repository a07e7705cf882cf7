import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repo, startTestMario, waitFor, type TestMario } from "../support/test-mario.js";

const config = `
commands:
  build:
    description: Build it.
    pipeline:
      pipelineRef: { name: build }
`;
const ns = "mario";

let t: TestMario;
beforeAll(async () => {
  t = await startTestMario({ config });
});
afterAll(async () => {
  t.github.assertNoViolations();
  await t.close();
});

const page = async (path: string) => (await fetch(`${t.mario.url}${path}`)).text();
/** The text of an element's summary or heading without tags, whitespace collapsed. */
const plain = (html: string) => html.replace(/<[^>]+>/g, "").replace(/\s+/g, " ");

describe("the run page", () => {
  it("links the pull request and the check run, and shows how long the run, each task and each step took", async () => {
    await t.comment("/build");
    const run = await waitFor(() => t.kube.pipelineRuns(ns)[0], "the PipelineRun");
    const name: string = run.metadata.name;
    const check = await waitFor(() => t.github.state.checkRuns(repo)[0], "the check run");
    t.kube.startRun(ns, name, { tasks: [{ name: "compile", steps: ["fetch", "make"] }, { name: "publish", steps: ["push"] }] });
    const running = await waitFor(async () => {
      const text = await page(`/runs/${ns}/${name}`);
      return text.includes("step make") && text.includes('id="run-state" class="state running"') ? text : undefined;
    }, "the running run's steps");
    expect(plain(running)).toMatch(/running · \d+s so far/);
    expect(plain(running)).toMatch(/step make — running \d+s so far/);

    // Kubernetes times have whole seconds: a task that runs over a second shows at least 1s.
    await new Promise((r) => setTimeout(r, 1100));
    t.kube.appendLog(ns, `${name}-compile-pod`, "step-make", "built\n");
    t.kube.finishTask(ns, name, "compile", "Succeeded");
    t.kube.finishTask(ns, name, "publish", "Failed");
    t.kube.finishRun(ns, name, { status: "False", reason: "Failed" });
    const done = await waitFor(async () => {
      const text = await page(`/runs/${ns}/${name}`);
      return text.includes('id="run-state" class="state failed"') ? text : undefined;
    }, "the finished run");
    const text = plain(done);
    expect(text).toMatch(/failed · [1-9]\d*s · octo\/demo/);
    expect(text).toMatch(/compile succeeded [1-9]\d*s/);
    expect(text).toMatch(/step fetch — succeeded [1-9]\d*s/);
    expect(text).toMatch(/step make — succeeded [1-9]\d*s/);
    expect(text).toMatch(/step push — failed [1-9]\d*s/);
    expect(text).not.toContain("so far");
    expect(done).toMatch(/<a href="http[^"]+\/octo\/demo\/pull\/42">octo\/demo#42<\/a>/);
    expect(done).toMatch(new RegExp(`<a class="check-run" href="http[^"]+/octo/demo/runs/${check.id}">check run mario/build</a>`));
  });
});
