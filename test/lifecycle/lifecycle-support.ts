import { randomUUID } from "node:crypto";
import { loadWebhookExample, sendWebhook } from "../fakes/github-webhooks.js";
import { repo, startTestMario, waitFor, webhookSecret, type TestMario } from "../support/test-mario.js";

export const ns = "mario";

/** A config with three presubmits on octo/demo: unit-tests (always), lint (*.ts changes, optional), docs (docs/**). */
export function jobsConfig(extra = ""): string {
  return `
defaults:
  namespace: mario
  serviceAccount: mario-runner
commands:
  build:
    description: Build an image.
    permission: write
    pipeline:
      pipelineRef: { name: mario-build-image }
      serviceAccount: builder
      params: { GIT_REVISION: "{{pr.headSha}}" }
      workspaces:
        - name: registry
          secret: { secretName: registry-credentials }
jobs:
  - name: unit-tests
    repos: ["octo/*"]
    branches: "^main$"
    pipeline:
      pipelineRef: { name: mario-unit-tests }
      params:
        GIT_URL: "{{repo.cloneUrl}}"
        GIT_REVISION: "{{pr.headSha}}"
      workspaces:
        - name: credentials
          secret: { secretName: test-credentials }
  - name: lint
    repos: ["octo/demo"]
    paths: ["src/**/*.ts"]
    required: false
    maskSecrets: [test-credentials]
    pipeline:
      pipelineRef: { name: mario-lint }
      params: { GIT_REVISION: "{{pr.headSha}}" }
  - name: docs
    repos: ["octo/demo"]
    paths: ["docs/**"]
    pipeline:
      pipelineRef: { name: mario-docs }
${extra}`;
}

export async function startJobsMario(extra = "", opts: Parameters<typeof startTestMario>[0] = {}): Promise<TestMario> {
  const t = await startTestMario({ config: jobsConfig(extra), ...opts });
  t.github.state.pullRequest(repo, 42).files = [{ filename: "src/app.ts", status: "modified", additions: 1, deletions: 0 }];
  t.kube.addSecret(ns, "test-credentials", { token: "s3cr3t-t0ken-value" });
  return t;
}

/** Sends a signed `pull_request` webhook for PR #42 (or `number`) with the PR's state in the fake GitHub. */
export async function sendPullRequest(t: TestMario, action: "opened" | "synchronize" | "reopened" | "closed", o: { number?: number; before?: string; deliveryId?: string; target?: TestMario } = {}) {
  const pr = t.github.state.pullRequest(repo, o.number ?? 42);
  const payload = loadWebhookExample("pull_request", action === "synchronize" || action === "reopened" ? undefined : action);
  payload.action = action;
  payload.number = pr.number;
  Object.assign(payload.repository, { name: "demo", full_name: repo, private: t.github.state.repo(repo).private });
  payload.repository.owner.login = "octo";
  Object.assign(payload.pull_request, {
    number: pr.number,
    state: action === "closed" ? "closed" : "open",
    html_url: `https://github.com/${repo}/pull/${pr.number}`,
  });
  payload.pull_request.user.login = pr.user.login;
  payload.pull_request.head.sha = pr.head.sha;
  payload.pull_request.head.ref = pr.head.ref;
  payload.pull_request.head.repo = { ...payload.pull_request.head.repo, full_name: pr.head.repo };
  payload.pull_request.base.sha = pr.base.sha;
  payload.pull_request.base.ref = pr.base.ref;
  payload.pull_request.base.repo = { ...payload.pull_request.base.repo, full_name: repo, clone_url: `https://github.com/${repo}.git`, html_url: `https://github.com/${repo}` };
  if (o.before) Object.assign(payload, { before: o.before, after: pr.head.sha });
  payload.installation = { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
  return send(o.target ?? t, "pull_request", payload, o.deliveryId);
}

/** The Re-run button of a check run (`check_run.rerequested`) pressed by `sender`. */
export async function sendCheckRunRerequested(t: TestMario, check: { name: string; headSha: string }, sender: string) {
  const payload = loadWebhookExample("check_run", "rerequested");
  Object.assign(payload.check_run, { name: check.name, head_sha: check.headSha, pull_requests: [] });
  return send(t, "check_run", { ...payload, ...repoFields(payload), sender: { ...payload.sender, login: sender } });
}

/** Re-run failed checks (`check_suite.rerequested`). */
export async function sendCheckSuiteRerequested(t: TestMario, headSha: string, sender: string) {
  const payload = loadWebhookExample("check_suite", "rerequested");
  Object.assign(payload.check_suite, { head_sha: headSha, pull_requests: [{ ...payload.check_suite.pull_requests?.[0], number: 42 }] });
  return send(t, "check_suite", { ...payload, ...repoFields(payload), sender: { ...payload.sender, login: sender } });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function repoFields(payload: any) {
  return {
    repository: { ...payload.repository, name: "demo", full_name: repo, owner: { ...payload.repository.owner, login: "octo" } },
    installation: { id: 1, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" },
  };
}

async function send(t: TestMario, name: string, payload: unknown, deliveryId: string = randomUUID()) {
  const res = await sendWebhook(`${t.mario.url}/api/github/webhooks`, { name, payload, secret: webhookSecret, deliveryId });
  if (res.status >= 300) throw new Error(`webhook ${name} answered ${res.status}: ${res.text}`);
  return res;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- fake objects are free-form JSON */
/** PipelineRuns of a job (label mario.dev/command), oldest first. */
export const runsOf = (t: TestMario, job: string): any[] => t.kube.pipelineRuns(ns).filter((r: any) => r.metadata.labels["mario.dev/command"] === job);
export const checksNamed = (t: TestMario, name: string, sha?: string) => t.github.state.checkRuns(repo, sha).filter((c) => c.name === name);
export const botComments = (t: TestMario) => t.github.state.comments(repo, 42).filter((c) => c.user.type === "Bot");

export async function waitForRuns(t: TestMario, job: string, count: number, what = `${count} ${job} run(s)`): Promise<any[]> {
  return waitFor(() => (runsOf(t, job).length >= count ? runsOf(t, job) : undefined), what);
}

/** Plays Tekton: start the run with one task and step, log `log`, then finish it. */
export function playRun(t: TestMario, name: string, outcome: "Succeeded" | "Failed", log = "ok\n", task = { name: "test", steps: ["run"] }) {
  t.kube.startRun(ns, name, { tasks: [task] });
  const pod = t.kube.taskRuns(ns).find((tr: any) => tr.metadata.labels["tekton.dev/pipelineRun"] === name).status.podName;
  if (log) t.kube.appendLog(ns, pod, `step-${task.steps[0]}`, log);
  t.kube.finishTask(ns, name, task.name, outcome);
  t.kube.finishRun(ns, name, outcome === "Succeeded" ? { status: "True", reason: "Succeeded" } : { status: "False", reason: "Failed" });
  return pod as string;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export const completedCheck = (t: TestMario, id: number) => waitFor(() => (t.github.state.checkRun(id)?.status === "completed" ? t.github.state.checkRun(id) : undefined), `check run ${id} completed`);

/** The first check run named `mario/<job>`, once completed. */
export const completedJobCheck = (t: TestMario, job: string) =>
  waitFor(() => checksNamed(t, `mario/${job}`).find((c) => c.status === "completed"), `check mario/${job} completed`, 20_000);
