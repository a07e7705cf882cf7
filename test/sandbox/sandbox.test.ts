import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxBanner, startSandbox } from "../../sandbox/start-sandbox.js";
import { redisUrl } from "../support/test-redis.js";
import { packageRoot } from "../../src/package-root.js";
import { waitFor } from "../support/test-mario.js";

let sandbox: Awaited<ReturnType<typeof startSandbox>>;
beforeAll(async () => {
  sandbox = await startSandbox({ marioPort: 0, pagePort: 0, log: false, redisUrl: redisUrl() });
});
afterAll(async () => {
  await sandbox?.stop();
});

const post = (path: string, form: Record<string, string>) =>
  fetch(`${sandbox.url}${path}`, { method: "POST", body: new URLSearchParams(form), redirect: "manual" });

describe("npm run sandbox", () => {
  it("serves a page labelled as simulated, with the demo users and PRs", async () => {
    const page = await (await fetch(`${sandbox.url}/`)).text();
    expect(page).toContain("simulated");
    for (const who of ["maria (maintainer)", "rey (reviewer)", "otto (outsider)"]) expect(page).toContain(who);
    expect(page).toContain("#1 Add a greeting");
  });

  it("turns a comment posted on the page into a simulated run that succeeds, with its log on mario's page", async () => {
    const res = await post("/comment", { pr: "1", user: "maria", body: "/build image tag=mario" });
    expect(res.status).toBe(303);
    const check = await waitFor(() => sandbox.github.state.checkRuns("demo/hello").find((c) => c.conclusion === "success"), "a successful check run", 20_000);
    const log = await (await fetch(check.detailsUrl!)).text();
    expect(log).toContain("[simulated] build/build-and-push done");
    const fragment = await (await fetch(`${sandbox.url}/fragment?pr=1`)).text();
    expect(fragment).toContain("mario/build image");
    expect(fragment).toContain("completed · success");
  });

  it("merges a PR labelled lgtm and approved through the merge queue, tested by the simulated CI, and shows it on /queue", async () => {
    for (const label of ["lgtm", "approved"]) expect((await post("/label", { pr: "3", user: "maria", label, op: "add" })).status).toBe(303);
    await waitFor(() => sandbox.github.state.pullRequest("demo/hello", 3).merged, "#3 merged by the queue", 20_000);
    const staged = sandbox.github.state.statusesList.filter((st) => st.context === "sandbox/ci" && st.description?.includes("staging commit"));
    expect(staged.length).toBeGreaterThan(0);
    const queue = await waitFor(async () => {
      const text = await (await fetch(`${sandbox.marioUrl}/queue/demo/hello/main`)).text();
      return /merged<\/span><\/td><td>#3<\/td>/.test(text) ? text : undefined;
    }, "the merge in the queue's history");
    expect(queue).toContain("demo/hello:main");
  });

  it("has a simulated Slack channel: a /mario command typed on the page is answered there, and merges are posted", async () => {
    expect((await post("/slash", { pr: "1", user: "rey", text: "queue" })).status).toBe(303);
    const pane = await waitFor(async () => {
      const text = await (await fetch(`${sandbox.url}/panes`)).text();
      return text.includes("only visible to rey") ? text : undefined;
    }, "the answer to /mario queue in the Slack pane", 20_000);
    expect(pane).toContain("Slack channel #sandbox");
    expect(pane).toContain("demo/hello");
    // The merge of the previous test was posted to the channel subscribed to the repository's merges.
    await waitFor(async () => (await (await fetch(`${sandbox.url}/panes`)).text()).includes("#3"), "the merge notification in the channel", 20_000);
    expect(sandbox.slack.config.channels[0]?.channel).toBe("C0SANDBOX");
  });

  it("labels mario's own pages as simulated (a startMario option the sandbox sets)", async () => {
    for (const path of ["/", "/queue"]) {
      const page = await (await fetch(`${sandbox.marioUrl}${path}`)).text();
      expect(page).toContain(`<p class="banner" role="note">${sandboxBanner}</p>`);
    }
  });

  it("pushes and labels as the demo user chosen on the page, not always maria", async () => {
    const page = await (await fetch(`${sandbox.url}/?pr=2&as=otto`)).text();
    const form = page.slice(page.indexOf('id="comment-form"'), page.indexOf("</form>", page.indexOf('id="comment-form"')));
    // One form, one user: the push and label buttons submit the comment form's "as" choice.
    expect(form).toContain('<option value="otto" selected>');
    expect(form).toContain('formaction="/push"');
    expect(form).toContain('formaction="/label?op=add"');
    expect(page).not.toMatch(/type="hidden" name="user"/);
    expect((await fetch(`${sandbox.url}/label?op=add`, { method: "POST", body: new URLSearchParams({ pr: "2", user: "otto", label: "do-not-merge/hold" }), redirect: "manual" })).headers.get("location")).toBe("/?pr=2&as=otto");
    expect((await post("/push", { pr: "2", user: "rey" })).status).toBe(303);
    const fragment = await (await fetch(`${sandbox.url}/fragment?pr=2`)).text();
    expect(fragment).toContain("<strong>otto</strong> added the label do-not-merge/hold");
    expect(fragment).toMatch(/<strong>rey<\/strong> pushed commit [0-9a-f]{7}/);
  });

  it("shows an outsider's refusal", async () => {
    await post("/comment", { pr: "2", user: "otto", body: "/build image" });
    await waitFor(() => sandbox.github.state.comments("demo/hello", 2).find((c) => c.body.includes("you have no access")), "a refusal");
  });
});

describe("a sandbox that cannot start", () => {
  it("stops the redis-server it started (and everything else) before it says why", async () => {
    const redisChildren = () =>
      execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], { encoding: "utf8" })
        .split("\n")
        .filter((l) => l.includes("redis-server"));
    const before = redisChildren();
    const dir = mkdtempSync(join(tmpdir(), "mario-sandbox-bad-"));
    const saved = process.env.REDIS_URL;
    delete process.env.REDIS_URL; // the sandbox starts its own redis-server
    try {
      const configFile = join(dir, "mario.yaml");
      writeFileSync(configFile, "commands: [this is not a map\n");
      await expect(startSandbox({ marioPort: 0, pagePort: 0, log: false, configFile })).rejects.toThrow(/mario\.yaml/);
      expect(redisChildren()).toEqual(before);
    } finally {
      if (saved !== undefined) process.env.REDIS_URL = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the stand-ins stay out of the production path", () => {
  it("no file under src/ or handlers/ imports test/ or sandbox/", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ts$/.test(entry) && /from "(\.\.\/)+(test|sandbox)\//.test(readFileSync(path, "utf8"))) offenders.push(path);
      }
    };
    walk(join(packageRoot, "src"));
    walk(join(packageRoot, "handlers"));
    expect(offenders).toEqual([]);
  });
});
