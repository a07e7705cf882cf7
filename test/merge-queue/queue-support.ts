/** Helpers for merge-queue and review tests: webhooks built from real examples and a fake CI for staging commits. */
import { loadWebhookExample, sendWebhook } from "../fakes/fake-github.js";
import { renderPull, renderRepo } from "../fakes/github-render.js";
import { repo, webhookSecret, type TestMario } from "../support/test-mario.js";

export const queueConfig = (extra = "") => `
mergeQueue:
  requiredChecks: [ci/test]
  mergeRetryBaseMs: 20
  reconcileMinutes: 0
${extra}`;

export function send(t: TestMario, name: string, payload: Record<string, unknown>) {
  return sendWebhook(`${t.mario.url}/api/github/webhooks`, { name, payload: { ...payload, installation: { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" } }, secret: webhookSecret });
}

const render = (t: TestMario) => ({ base: t.github.url, state: t.github.state });

/** `pull_request.<action>` for a PR as the fake holds it. */
export function sendPullRequest(t: TestMario, number: number, action: string, extra: Record<string, unknown> = {}) {
  const payload = loadWebhookExample("pull_request", "opened");
  const r = t.github.state.repo(repo);
  return send(t, "pull_request", { ...payload, action, number, pull_request: renderPull(render(t), r, t.github.state.pullRequest(repo, number)), repository: renderRepo(render(t), r), ...extra });
}

export function sendStatus(t: TestMario, sha: string, state: "success" | "failure" | "pending", context = "ci/test", description = state) {
  const s = t.github.state;
  s.statusesList.push({ id: s.nextId(), repo, sha, state, targetUrl: `https://ci.example.test/${sha.slice(0, 7)}`, description, context, creator: s.bot, createdAt: s.now(), updatedAt: s.now() });
  const payload = loadWebhookExample("status");
  return send(t, "status", { ...payload, sha, state, context, description, target_url: `https://ci.example.test/${sha.slice(0, 7)}`, repository: renderRepo(render(t), s.repo(repo)) });
}

export function sendReview(t: TestMario, number: number, user: string, state: "approved" | "changes_requested") {
  t.github.state.git.addReview(repo, number, user, state === "approved" ? "APPROVED" : "CHANGES_REQUESTED");
  const payload = loadWebhookExample("pull_request_review", "submitted");
  const r = t.github.state.repo(repo);
  payload.review.user.login = user;
  payload.review.state = state;
  return send(t, "pull_request_review", { ...payload, pull_request: renderPull(render(t), r, t.github.state.pullRequest(repo, number)), repository: renderRepo(render(t), r) });
}

/** Seeds `main` at a fresh commit and PRs ready for the queue (labels, green ci/test via webhook). */
export async function seedReadyPrs(t: TestMario, numbers: number[], opts: { labels?: string[]; green?: boolean } = {}) {
  const s = t.github.state;
  const base = s.git.branch(repo, "main") ?? s.newSha();
  s.git.setBranch(repo, "main", base);
  for (const n of numbers) {
    const pr = s.addPullRequest(repo, { number: n, user: "carol", title: `Change ${n}`, labels: opts.labels ?? ["lgtm", "approved"], base: { sha: base, ref: "main" } });
    if (opts.green !== false) await sendStatus(t, pr.head.sha, "success");
  }
  for (const n of numbers) await sendPullRequest(t, n, "labeled");
}

/** Staging branches mario created, newest last. */
export function stagingRuns(t: TestMario): { branch: string; sha: string; prs: number[] }[] {
  const branches = t.github.state.git.branches.get(repo.toLowerCase()) ?? new Map<string, string>();
  return [...branches]
    .filter(([name]) => name.startsWith("mario/queue/main/"))
    .map(([branch, sha]) => ({ branch, sha, prs: [...t.github.state.git.commit(repo, sha).content.keys()].sort((a, b) => a - b) }));
}

/** A CI that answers every staging commit: failure when it contains a PR `bad` says is bad. */
export function fakeCi(t: TestMario, bad: (prs: number[]) => boolean) {
  const answered = new Set<string>();
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      for (const run of stagingRuns(t)) {
        if (answered.has(run.sha)) continue;
        answered.add(run.sha);
        await sendStatus(t, run.sha, bad(run.prs) ? "failure" : "success");
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  void loop();
  return { stop: () => (stopped = true), answered };
}

export const queueStatus = (t: TestMario, number: number) => {
  const pr = t.github.state.pullRequest(repo, number);
  return t.github.state.statuses(repo, pr.head.sha).filter((s) => s.context === "mario/merge-queue").at(-1);
};

export async function queueApi(t: TestMario, path = "/api/queue/octo/demo/main") {
  const res = await fetch(`${t.mario.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { history?: { action: string; prs: number[]; detail: string }[] } };
}
