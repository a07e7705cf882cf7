import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ns, playRun, startJobsMario } from "../lifecycle/lifecycle-support.js";
import { readyJobPrs } from "../merge-queue/queue-support.js";
import { repo, waitFor, type TestMario } from "../support/test-mario.js";

let t: TestMario;
beforeAll(async () => {
  t = await startJobsMario("mergeQueue:\n  mergeRetryBaseMs: 20\n  reconcileMinutes: 0\n");
});
afterAll(async () => {
  t.github.assertNoViolations();
  await t.close();
});

const page = async (path: string) => (await fetch(`${t.mario.url}${path}`)).text();
/** `<a href="…/commit/<sha>">label</a>`, the label's HTML as mario escapes it (it escapes nothing here). */
const commitLink = (sha: string, label: string) => new RegExp(`<a href="http[^"]+/octo/demo/commit/${sha}">${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}</a>`);

describe("the dashboard's pages for a merge queue run", () => {
  it("name the staging commit it ran on, the queue's base branch and the PRs of its batch, linked to the commit", async () => {
    await readyJobPrs(t, [1, 2]);
    const staging = await waitFor(() => t.kube.pipelineRuns(ns).find((r) => r.metadata.labels["mario.dev/kind"] === "staging"), "a staging run", 15_000);
    const name: string = staging.metadata.name;
    const sha: string = staging.metadata.labels["mario.dev/head-sha"];
    // The batch is what was ready when the queue started: #1 alone, or both.
    const prs = [...t.github.state.git.commit(repo, sha).content.keys()].sort((a, b) => a - b);
    const batch = `(${prs.length === 1 ? "PR" : "PRs"} ${prs.map((n) => `#${n}`).join(" ")})`;
    playRun(t, name, "Succeeded");

    const runPage = await waitFor(async () => {
      const text = await page(`/runs/${ns}/${name}`);
      return text.includes('class="state succeeded"') ? text : undefined;
    }, "the finished staging run's page");
    expect(runPage).toMatch(commitLink(sha, `merge queue staging of octo/demo:main ${batch}`));
    expect(runPage).not.toContain("demo#0");

    const list = await page("/");
    const row = list.slice(list.lastIndexOf("<tr>", list.indexOf(`/runs/${ns}/${name}`)), list.indexOf("</tr>", list.indexOf(`/runs/${ns}/${name}`)));
    // The repository has a column of its own.
    expect(row).toMatch(commitLink(sha, `merge queue staging of main ${batch}`));
    expect(row).not.toContain("#0");
  });
});
