import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { githubRoutes, type RouteContext } from "../fakes/fake-github.js";
import { fakeCi, queueConfig, queueStatus, seedReadyPrs } from "../merge-queue/queue-support.js";
import { settle, waitFor, webhookSecret, type TestMario } from "../support/test-mario.js";
import { redisUrl } from "../support/test-redis.js";
import { logLines, metricValue, repo, startCluster, type Cluster, type Replica } from "./support/mario-cluster.js";

let c: Cluster | undefined;
let dir: string | undefined;
afterEach(async () => {
  try {
    c?.github.assertNoViolations();
  } finally {
    await c?.close(); // the replicas stop even when the fake saw a violation
    if (dir) rmSync(dir, { recursive: true, force: true });
    c = undefined;
    dir = undefined;
  }
}, 60_000);

const prs = [1, 2, 3];
const mergeNumber = (path: string) => Number(/\/pulls\/(\d+)\/merge$/.exec(path)?.[1]);
const holdsQueue = async (c: Cluster, r: Replica) => metricValue(await c.metrics(r).catch(() => ""), "mario_lease_held", { duty: "merge-queue" }) === 1;

describe("the replica driving a merge pool killed mid-merge", () => {
  it("nothing is merged twice and the pool resumes on another replica", async () => {
    dir = mkdtempSync(join(tmpdir(), "mario-merge-kill-"));
    const config = join(dir, "mario.yaml");
    writeFileSync(config, queueConfig());
    // The queue helpers sign webhooks with the test secret; every replica reads the queue config.
    c = await startCluster({ redisUrl: redisUrl(), prs: [], env: { MARIO_CONFIG: config, WEBHOOK_SECRET: webhookSecret } });
    const cluster = c;
    const web = await c.start("web");
    const a = await c.start("worker");
    await waitFor(() => holdsQueue(cluster, a), "worker A drives the merge queue");
    const b = await c.start("worker");

    // GitHub receives the first merge, performs it, and answers only once the replica that asked is dead: the
    // driver never learns that the PR merged.
    const merge = githubRoutes["pulls/merge"]!;
    let held: ((ctx: RouteContext) => void) | undefined;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    c.github.route("pulls/merge", async (ctx) => {
      if (!first) return merge(ctx);
      first = false;
      held?.(ctx);
      await released;
      return merge(ctx);
    });
    const inFlight = new Promise<RouteContext>((resolve) => (held = resolve));

    // The queue helpers need only a mario URL (the web replica takes the webhooks) and the fake GitHub.
    const t = { mario: { url: web.url }, github: c.github } as unknown as TestMario;
    const ci = fakeCi(t, () => false);
    try {
      await seedReadyPrs(t, prs);
      const ctx = await waitFor(() => Promise.race([inFlight, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]), "a merge in flight", 30_000);
      const heldPr = mergeNumber(ctx.path);
      expect(prs).toContain(heldPr);
      // The merge request came from the lease holder: A (B only competes once A's lease lapses).
      expect(await holdsQueue(cluster, a)).toBe(true);
      expect(await holdsQueue(cluster, b)).toBe(false);
      a.kill();
      expect(await a.exited).toBeNull(); // ended by the signal, no shutdown code ran
      release();
      await waitFor(() => c!.github.state.pullRequest(repo, heldPr).merged, "GitHub finished the held merge");

      // B takes the lease over, recovers the recorded merge intent from GitHub and merges the rest.
      await waitFor(() => holdsQueue(cluster, b), "worker B drives the merge queue", 20_000);
      await waitFor(() => prs.every((n) => c!.github.state.pullRequest(repo, n).merged), "every PR merged", 40_000);
    } finally {
      ci.stop();
    }
    await settle(1500);

    // Exactly one successful merge per PR; a second attempt on the held PR would have been a 405.
    const merges = c.github.requestsFor("pulls/merge");
    for (const n of prs) expect(merges.filter((r) => mergeNumber(r.path) === n && r.status === 200), `merges of #${n}`).toHaveLength(1);
    expect(merges.filter((r) => r.status !== 200)).toEqual([]);
    const main = c.github.state.git.branch(repo, "main")!;
    expect([...c.github.state.git.commit(repo, main).content.keys()].sort()).toEqual(prs);
    for (const n of prs) {
      expect(queueStatus(t, n), `#${n}'s queue status`).toMatchObject({ state: "success" });
      expect(c.github.state.labelsOn(repo, n)).not.toContain("needs-rebase");
      expect(c.github.state.comments(repo, n)).toEqual([]);
    }
    const history = (await (await fetch(`${web.url}/api/queue/octo/demo/main`)).json()) as { history: { action: string; prs: number[]; detail: string }[] };
    expect(history.history.filter((h) => h.action === "merged").flatMap((h) => h.prs).sort()).toEqual(prs);
    expect(history.history.some((h) => h.detail.includes("recovered from GitHub"))).toBe(true);
    expect(await holdsQueue(cluster, b)).toBe(true);
    for (const r of [web, b]) expect(r.child.exitCode).toBeNull();

    // Merge-queue webhooks carry their delivery id onto the workers' log lines, as comments do.
    const answered = new Set(logLines(web).lines.filter((l) => l.msg === "webhook answered").map((l) => l.delivery));
    const handled = [a, b].flatMap((r) => logLines(r).lines).filter((l) => l.msg === "job done" && l.job === "merge-queue-event");
    expect(handled.length).toBeGreaterThan(0);
    for (const line of handled) expect(answered, `delivery ${String(line.delivery)}`).toContain(line.delivery);
  }, 90_000);
});
