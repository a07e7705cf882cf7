import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runsOf, startJobsMario } from "../lifecycle/lifecycle-support.js";
import { startTestMario, waitFor, type TestMario } from "../support/test-mario.js";

const config = `
commands:
  build:
    description: Build it.
    args:
      - { name: note, pattern: "^.{0,40}$", default: "", description: A note. }
    pipeline:
      pipelineRef: { name: build }
      params: { NOTE: "{{args.note}}" }
`;

let t: TestMario;
beforeAll(async () => {
  t = await startTestMario({ config });
});
afterAll(async () => {
  await t.close();
});

describe("the dashboard's run list", () => {
  it("says what to do when there are no runs yet", async () => {
    const page = await (await fetch(`${t.mario.url}/`)).text();
    expect(page).toContain("No runs yet");
    expect(page).not.toContain('class="banner"'); // only the sandbox passes startMario a banner
  });

  it("lists runs newest first, escapes what users wrote, and filters by state, PR and repository", async () => {
    t.github.state.addPullRequest("octo/demo", { number: 43, user: "carol", title: "Another" });
    await t.comment('/build note="<b>first</b>"');
    await waitFor(() => t.kube.pipelineRuns("mario").length === 1, "first run");
    await t.comment("/build note=second", { prNumber: 43 });
    await waitFor(() => t.kube.pipelineRuns("mario").length === 2, "second run");
    const first = t.kube.pipelineRuns("mario").find((r) => r.metadata.labels["mario.dev/pr"] === "42")!;
    t.kube.startRun("mario", first.metadata.name, { tasks: [{ name: "build" }] });
    t.kube.finishRun("mario", first.metadata.name, { status: "False", reason: "Failed" });
    await waitFor(async () => (await (await fetch(`${t.mario.url}/?state=failed`)).text()).includes("note=&quot;&lt;b&gt;first"), "failed run listed");

    const all = await (await fetch(`${t.mario.url}/`)).text();
    expect(all).not.toContain("<b>first</b>");
    expect(all.indexOf("note=second")).toBeLessThan(all.indexOf("first"));
    expect(all).toContain(`href="/runs/mario/${first.metadata.name}"`);

    const failed = await (await fetch(`${t.mario.url}/?state=failed`)).text();
    expect(failed).not.toContain("note=second");
    const pr43 = await (await fetch(`${t.mario.url}/?pr=43`)).text();
    expect(pr43).toContain("note=second");
    expect(pr43).not.toContain("first");
    const otherRepo = await (await fetch(`${t.mario.url}/?repo=octo/other`)).text();
    expect(otherRepo).toContain("No run matches these filters.");
  });
});

describe("the dashboard's run list, for periodic runs and runs not yet in the cluster", () => {
  it("shows a periodic run's branch (it has no PR) and lets every state be filtered, waiting-for-cluster too", async () => {
    const periodic = await startJobsMario(`  - name: nightly
    repos: ["octo/demo"]
    schedule: "*/2 * * * * *"
    branch: main
    pipeline:
      pipelineRef: { name: mario-nightly }
`);
    try {
      const nightly = await waitFor(() => runsOf(periodic, "nightly")[0], "a nightly run", 15_000);
      const list = await waitFor(async () => {
        const text = await (await fetch(`${periodic.mario.url}/`)).text();
        return text.includes(`/runs/mario/${nightly.metadata.name}`) ? text : undefined;
      }, "the nightly run listed");
      const row = list.slice(list.indexOf("<tr>", list.indexOf('<table class="runs">') + 30), list.indexOf(`/runs/mario/${nightly.metadata.name}`));
      expect(row).toContain(">main</a>");
      expect(row).toMatch(/href="http[^"]+\/octo\/demo\/tree\/main"/);
      expect(row).not.toContain("#0");

      // The API server refuses the create: the command's run waits for the cluster, and the filter finds it.
      periodic.kube.failNext({ method: "POST", path: /\/pipelineruns$/ }, { status: 503 }, 100);
      await periodic.comment("/build");
      const waiting = await waitFor(async () => {
        const text = await (await fetch(`${periodic.mario.url}/?state=waiting-for-cluster`)).text();
        return text.includes("<td>/build</td>") || /">\/build<\/a>/.test(text) ? text : undefined;
      }, "the waiting run found by its state");
      expect(waiting).toContain("<option selected>waiting-for-cluster</option>");
      expect(waiting).toContain("<option >creating</option>");
      // Only waiting runs: the nightly run the cluster took is not listed (a later tick may wait too: the refusal
      // covers its create as well).
      expect(waiting).not.toContain(`/runs/mario/${nightly.metadata.name}"`);
      expect(new Set([...waiting.matchAll(/<span class="state ([a-z-]+)">/g)].map((m) => m[1]))).toEqual(new Set(["waiting-for-cluster"]));
    } finally {
      await periodic.close();
    }
  });
});
