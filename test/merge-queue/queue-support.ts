/** Helpers for merge-queue and review tests: webhooks built from real examples and a fake CI for staging commits. */
import { loadWebhookExample, sendWebhook } from "../fakes/fake-github.js";
import { renderPull, renderRepo } from "../fakes/github-render.js";
import type { AddPullRequestOptions } from "../fakes/github-state.js";
import { playRun } from "../lifecycle/lifecycle-support.js";
import { repo, waitFor, webhookSecret, type TestMario } from "../support/test-mario.js";

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
export async function seedReadyPrs(t: TestMario, numbers: number[], opts: { labels?: string[]; green?: boolean; pr?: AddPullRequestOptions } = {}) {
  const s = t.github.state;
  const base = s.git.branch(repo, "main") ?? s.newSha();
  s.git.setBranch(repo, "main", base);
  for (const n of numbers) {
    const pr = s.addPullRequest(repo, { number: n, user: "carol", title: `Change ${n}`, labels: opts.labels ?? ["lgtm", "approved"], base: { sha: base, ref: "main" }, ...opts.pr });
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

/** One answer of the fake CI: the staging commit, the PRs it contained, the result, and when (index into GitHub's request log). */
export interface CiAnswer {
  sha: string;
  prs: number[];
  result: "success" | "failure";
  at: number;
}

/**
 * A CI that answers every staging commit: failure when `bad` says the PRs it contains are bad. `bad` may return
 * undefined to leave a commit unanswered for now (it is asked again on the next round).
 */
export function fakeCi(t: TestMario, bad: (prs: number[]) => boolean | undefined) {
  return scriptedCi(t, (run) => {
    const verdict = bad(run.prs);
    return verdict === undefined ? undefined : { "ci/test": verdict ? "failure" : "success" };
  });
}

/**
 * A CI that reports the given contexts on each staging commit (`nth` counts the commits answered before), or
 * leaves it unanswered for now when `answer` returns undefined. A commit fails when any context fails.
 */
export function scriptedCi(t: TestMario, answer: (run: { sha: string; prs: number[] }, nth: number) => Record<string, "success" | "failure"> | undefined) {
  const answered = new Set<string>();
  const log: CiAnswer[] = [];
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      for (const run of stagingRuns(t)) {
        if (answered.has(run.sha)) continue;
        const contexts = answer(run, log.length);
        if (contexts === undefined) continue;
        answered.add(run.sha);
        const result = Object.values(contexts).includes("failure") ? "failure" : "success";
        log.push({ sha: run.sha, prs: run.prs, result, at: t.github.requests.length });
        for (const [context, state] of Object.entries(contexts)) await sendStatus(t, run.sha, state, context);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  void loop();
  return { stop: () => (stopped = true), answered, log };
}

/** Index in GitHub's request log of the merge of PR `number` that succeeded (-1 when none). */
export const mergeRequestIndex = (t: TestMario, number: number) => t.github.requests.findIndex((r) => r.operationId === "pulls/merge" && r.path.endsWith(`/pulls/${number}/merge`) && r.status === 200);

/** Whether a staging commit of exactly `prs` passed before PR `number` was merged: nothing merged untested. */
export const passedBeforeMerge = (ci: { log: CiAnswer[] }, t: TestMario, prs: number[], number: number) =>
  ci.log.some((a) => a.result === "success" && sameNumbers(a.prs, prs) && a.at <= mergeRequestIndex(t, number));

const sameNumbers = (a: number[], b: number[]) => a.length === b.length && [...a].sort((x, y) => x - y).every((n, i) => n === [...b].sort((x, y) => x - y)[i]);

/** The PR's pull_request payload as it is now, to deliver later (a late or out-of-order webhook). */
export function pullRequestPayload(t: TestMario, number: number, action = "labeled") {
  const payload = loadWebhookExample("pull_request", "opened");
  const r = t.github.state.repo(repo);
  return { ...payload, action, number, pull_request: renderPull(render(t), r, t.github.state.pullRequest(repo, number)), repository: renderRepo(render(t), r) };
}

/** A `push` webhook for the base branch. */
export function sendPush(t: TestMario, before: string, after: string, opts: { forced?: boolean } = {}) {
  const payload = loadWebhookExample("push");
  const r = t.github.state.repo(repo);
  return send(t, "push", { ...payload, ref: "refs/heads/main", before, after, created: false, deleted: false, forced: opts.forced ?? false, repository: { ...payload.repository, name: r.name, full_name: r.fullName, owner: { ...payload.repository.owner, login: "octo", name: "octo" } } });
}

/** Points main at a new commit holding what main held plus a change of its own (`marker` stands for it). */
export function pushToMain(t: Pick<TestMario, "github">, marker = 99): { before: string; after: string } {
  const git = t.github.state.git;
  const before = git.branch(repo, "main")!;
  const after = t.github.state.newSha();
  git.commits.set(after, { sha: after, content: new Map([...git.commit(repo, before).content, [marker, "change"]]), parents: [before] });
  git.setBranch(repo, "main", after);
  return { before, after };
}

export const queueStatus = (t: TestMario, number: number) => {
  const pr = t.github.state.pullRequest(repo, number);
  return t.github.state.statuses(repo, pr.head.sha).filter((s) => s.context === "mario/merge-queue").at(-1);
};

export async function queueApi(t: TestMario, path = "/api/queue/octo/demo/main") {
  const res = await fetch(`${t.mario.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { history?: { action: string; prs: number[]; detail: string }[] } };
}

/**
 * For a mario with the presubmit job `job` (required, no paths, namespace `mario`): PRs labelled lgtm + approved
 * on a fresh main, opened; their job runs on their heads and passes, so they are ready for the queue.
 */
export async function readyJobPrs(t: TestMario, numbers: number[], job = "unit-tests") {
  const s = t.github.state;
  const base = s.newSha();
  s.git.setBranch(repo, "main", base);
  for (const n of numbers) {
    s.addPullRequest(repo, { number: n, user: "carol", title: `Change ${n}`, labels: ["lgtm", "approved"], base: { sha: base, ref: "main" } });
    await sendPullRequest(t, n, "opened");
  }
  for (const n of numbers) {
    const head = s.pullRequest(repo, n).head.sha;
    const run = await waitFor(() => t.kube.pipelineRuns("mario").find((r) => r.metadata.labels["mario.dev/job"] === job && r.metadata.labels["mario.dev/kind"] === "job" && r.metadata.labels["mario.dev/head-sha"] === head), `${job} on #${n}`);
    playRun(t, run.metadata.name, "Succeeded");
    await waitFor(() => s.checkRuns(repo, head).some((c) => c.name === `mario/${job}` && c.conclusion === "success"), `${job} passed on #${n}`, 15_000);
  }
}
