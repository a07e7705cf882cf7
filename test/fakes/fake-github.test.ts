import { generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Octokit } from "@octokit/rest";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  faults,
  issueCommentEvent,
  loadGitHubSpec,
  loadWebhookExample,
  sendWebhook,
  signWebhook,
  startFakeGitHub,
  type FakeGitHub,
} from "./fake-github.js";

const REPO = "octo/demo";
const owner = "octo";
const repo = "demo";
const HEAD = "a".repeat(40);
const BASE = "b".repeat(40);

let fake: FakeGitHub;
let octokit: Octokit;
/** @octokit/rest logs every failed request; these tests fail requests on purpose. */
const log = { debug() {}, info() {}, warn() {}, error() {} };

beforeEach(async () => {
  // The fake's own responses are checked against GitHub's response schemas here too.
  fake = await startFakeGitHub({ validateResponses: true });
  fake.state.addRepo(REPO, { private: false });
  fake.state.addPullRequest(REPO, {
    number: 7,
    user: "alice",
    head: { sha: HEAD, ref: "feature/pipeline" },
    base: { ref: "main", sha: BASE },
    state: "open",
    draft: false,
    labels: ["ci"],
    title: "Add the pipeline",
    files: [{ filename: "tekton/pipeline.yaml", status: "added", additions: 12, deletions: 0 }],
  });
  octokit = new Octokit({ baseUrl: fake.apiUrl, auth: "x", log, request: { retries: 0 } });
});

afterEach(async () => {
  await fake.close();
});

/** An untyped request, to send what Octokit's types would refuse. */
function raw(route: string, params: Record<string, unknown>) {
  return octokit.request(route, params);
}

/** Runs `fn`, expects it to reject with an Octokit RequestError, and returns that error. */
async function failure(fn: () => Promise<unknown>): Promise<{ status: number; message: string; response?: { headers: Record<string, string | number | undefined>; data: unknown } }> {
  try {
    await fn();
  } catch (err) {
    return err as { status: number; message: string; response?: { headers: Record<string, string | number | undefined>; data: unknown } };
  }
  throw new Error("expected the request to fail");
}

describe("fake GitHub: OpenAPI document", () => {
  it("loads GitHub's OpenAPI document once per process, fast enough", async () => {
    const spec = await loadGitHubSpec();
    console.info(`GitHub OpenAPI document prepared in ${spec.loadMs} ms`, spec.timings);
    expect(spec.operations.size).toBeGreaterThan(1000);
    // Typically 0.5 s alone and ~1.5 s inside a busy vitest worker; the bound leaves room for a loaded machine.
    expect(spec.loadMs).toBeLessThan(5000);
    expect(await loadGitHubSpec()).toBe(spec);
  });
});

describe("fake GitHub: reading seeded state", () => {
  it("serves a seeded pull request, list and files with GitHub's shapes", async () => {
    const { data: pr, headers } = await octokit.rest.pulls.get({ owner, repo, pull_number: 7 });
    expect(pr).toMatchObject({
      number: 7,
      state: "open",
      merged: false,
      draft: false,
      title: "Add the pipeline",
      user: { login: "alice" },
      head: { sha: HEAD, ref: "feature/pipeline" },
      base: { sha: BASE, ref: "main" },
      html_url: `${fake.url}/${REPO}/pull/7`,
    });
    expect(pr.labels.map((l) => l.name)).toEqual(["ci"]);
    expect(headers["content-type"]).toBe("application/json; charset=utf-8");
    for (const h of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-resource", "x-github-request-id"]) {
      expect(headers[h], h).toBeDefined();
    }

    fake.state.addPullRequest(REPO, { number: 8, state: "closed" });
    const open = await octokit.rest.pulls.list({ owner, repo, state: "open" });
    expect(open.data.map((p) => p.number)).toEqual([7]);
    const all = await octokit.rest.pulls.list({ owner, repo, state: "all" });
    expect(all.data.map((p) => p.number).sort()).toEqual([7, 8]);

    const files = await octokit.rest.pulls.listFiles({ owner, repo, pull_number: 7 });
    expect(files.data).toMatchObject([{ filename: "tekton/pipeline.yaml", status: "added", additions: 12, changes: 12 }]);

    const { data: r } = await octokit.rest.repos.get({ owner, repo });
    expect(r).toMatchObject({ full_name: REPO, private: false, default_branch: "main", owner: { login: owner } });
    fake.assertNoViolations();
  });

  it("serves file contents at the ref asked for: the default branch, another branch, a PR's head", async () => {
    fake.state.git.setFile(REPO, "OWNERS", "approvers: [alice]\n");
    fake.state.git.setFile(REPO, "OWNERS", "approvers: [mallory]\n", "feature/pipeline");
    const read = async (ref?: string) => {
      const { data } = await octokit.rest.repos.getContent({ owner, repo, path: "OWNERS", ...(ref ? { ref } : {}) });
      return Buffer.from((data as { content: string }).content, "base64").toString();
    };
    expect(await read()).toBe("approvers: [alice]\n");
    expect(await read("main")).toBe("approvers: [alice]\n");
    expect(await read("feature/pipeline")).toBe("approvers: [mallory]\n");
    expect(await read(HEAD)).toBe("approvers: [mallory]\n"); // the PR's head sha
    await expect(octokit.rest.repos.getContent({ owner, repo, path: "OWNERS", ref: "other" })).rejects.toMatchObject({ status: 404 });
    fake.assertNoViolations();
  });

  it("answers 404 for an unknown repository or pull request without recording a violation", async () => {
    expect((await failure(() => octokit.rest.repos.get({ owner, repo: "nope" }))).status).toBe(404);
    expect((await failure(() => octokit.rest.pulls.get({ owner, repo, pull_number: 99 }))).status).toBe(404);
    const missingIssue = await failure(() => octokit.rest.issues.createComment({ owner, repo, issue_number: 99, body: "hi" }));
    expect(missingIssue.status).toBe(404);
    expect(missingIssue.response?.data).toMatchObject({ message: "Not Found" });
    fake.assertNoViolations();
  });

  it("paginates lists with a Link header that octokit.paginate follows", async () => {
    for (let i = 0; i < 5; i++) fake.state.addComment(REPO, 7, { body: `c${i}`, user: "bob" });
    const first = await octokit.rest.issues.listComments({ owner, repo, issue_number: 7, per_page: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: 7, per_page: 2 });
    expect(all.map((c) => c.body)).toEqual(["c0", "c1", "c2", "c3", "c4"]);
    fake.assertNoViolations();
  });
});

describe("fake GitHub: writes", () => {
  it("creates, edits, lists, reacts to and deletes comments", async () => {
    const { data: created, status } = await octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: "Pipeline started" });
    expect(status).toBe(201);
    expect(created).toMatchObject({ body: "Pipeline started", user: { login: "mario[bot]", type: "Bot" } });
    expect(created.html_url).toBe(`${fake.url}/${REPO}/pull/7#issuecomment-${created.id}`);
    expect(fake.state.comments(REPO, 7).map((c) => c.body)).toEqual(["Pipeline started"]);

    const { data: updated } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: created.id, body: "Pipeline succeeded" });
    expect(updated.body).toBe("Pipeline succeeded");
    expect(fake.state.comment(created.id)?.body).toBe("Pipeline succeeded");

    const reaction = await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: created.id, content: "eyes" });
    expect(reaction.status).toBe(201);
    const again = await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: created.id, content: "eyes" });
    expect(again.status).toBe(200);
    expect(fake.state.reactions(created.id).map((r) => r.content)).toEqual(["eyes"]);

    const { data: list } = await octokit.rest.issues.listComments({ owner, repo, issue_number: 7 });
    expect(list.map((c) => c.id)).toEqual([created.id]);

    const deleted = await octokit.rest.issues.deleteComment({ owner, repo, comment_id: created.id });
    expect(deleted.status).toBe(204);
    expect(fake.state.comments(REPO)).toEqual([]);
    expect((await failure(() => octokit.rest.issues.deleteComment({ owner, repo, comment_id: created.id }))).status).toBe(404);

    expect(fake.requestsFor("issues/create-comment")).toHaveLength(1);
    expect(fake.requestsFor("issues/create-comment")[0]).toMatchObject({
      method: "POST",
      path: `/repos/${REPO}/issues/7/comments`,
      body: { body: "Pipeline started" },
      status: 201,
    });
    fake.assertNoViolations();
  });

  it("records a too-long comment as a violation (GitHub's 65536-character limit)", async () => {
    const err = await failure(() => octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: "x".repeat(70_000) }));
    expect(err.status).toBe(422);
    expect(fake.violations.join("\n")).toMatch(/65536/);
  });

  it("creates, updates and lists check runs", async () => {
    const { data: run, status } = await octokit.rest.checks.create({
      owner,
      repo,
      name: "mario/deploy",
      head_sha: HEAD,
      status: "in_progress",
      details_url: "https://example.test/runs/1",
      output: { title: "Running", summary: "PipelineRun deploy-abc started" },
    });
    expect(status).toBe(201);
    expect(run).toMatchObject({ name: "mario/deploy", head_sha: HEAD, status: "in_progress", conclusion: null, app: { slug: "mario" } });
    expect(run.pull_requests.map((p) => p.number)).toEqual([7]);

    const { data: done } = await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: run.id,
      conclusion: "success",
      output: { title: "Done", summary: "All tasks succeeded" },
    });
    expect(done).toMatchObject({ status: "completed", conclusion: "success", output: { title: "Done" } });
    expect(done.completed_at).toMatch(/^\d{4}-\d\d-\d\dT/);

    const { data: got } = await octokit.rest.checks.get({ owner, repo, check_run_id: run.id });
    expect(got.conclusion).toBe("success");

    await octokit.rest.checks.create({ owner, repo, name: "mario/deploy", head_sha: HEAD, status: "queued" });
    const byRef = await octokit.rest.checks.listForRef({ owner, repo, ref: "feature/pipeline" });
    expect(byRef.data.total_count).toBe(1); // filter=latest: the newest run per name
    const everything = await octokit.rest.checks.listForRef({ owner, repo, ref: HEAD, filter: "all" });
    expect(everything.data.total_count).toBe(2);
    expect(fake.state.checkRuns(REPO, HEAD).map((r) => r.status)).toEqual(["completed", "queued"]);
    fake.assertNoViolations();
  });

  it("creates commit statuses and combines them", async () => {
    await octokit.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: "pending", context: "mario/deploy", description: "Running" });
    await octokit.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: "success", context: "mario/deploy", target_url: "https://example.test/x" });
    await octokit.rest.repos.createCommitStatus({ owner, repo, sha: HEAD, state: "failure", context: "mario/lint" });
    const { data } = await octokit.rest.repos.getCombinedStatusForRef({ owner, repo, ref: HEAD });
    expect(data.state).toBe("failure");
    expect(data.total_count).toBe(2);
    expect(data.statuses.map((s) => `${s.context}=${s.state}`).sort()).toEqual(["mario/deploy=success", "mario/lint=failure"]);
    expect(fake.state.statuses(REPO, HEAD)).toHaveLength(3);
    fake.assertNoViolations();
  });

  it("adds, removes, lists and creates labels", async () => {
    const added = await octokit.rest.issues.addLabels({ owner, repo, issue_number: 7, labels: ["deploying", "ci"] });
    expect(added.data.map((l) => l.name)).toEqual(["ci", "deploying"]);
    expect(fake.state.labelsOn(REPO, 7)).toEqual(["ci", "deploying"]);
    const removed = await octokit.rest.issues.removeLabel({ owner, repo, issue_number: 7, name: "ci" });
    expect(removed.data.map((l) => l.name)).toEqual(["deploying"]);
    expect((await failure(() => octokit.rest.issues.removeLabel({ owner, repo, issue_number: 7, name: "ci" }))).status).toBe(404);

    const created = await octokit.rest.issues.createLabel({ owner, repo, name: "needs: review/ok", color: "#00ff00" });
    expect(created.data).toMatchObject({ name: "needs: review/ok", color: "00ff00" });
    const dup = await failure(() => octokit.rest.issues.createLabel({ owner, repo, name: "needs: review/ok" }));
    expect(dup.status).toBe(422);
    await octokit.rest.issues.addLabels({ owner, repo, issue_number: 7, labels: ["needs: review/ok"] });
    await octokit.rest.issues.removeLabel({ owner, repo, issue_number: 7, name: "needs: review/ok" });
    const { data: labels } = await octokit.rest.issues.listLabelsForRepo({ owner, repo });
    expect(labels.map((l) => l.name).sort()).toEqual(["ci", "deploying", "needs: review/ok"]);
    fake.assertNoViolations();
  });

  it("merges only when the sha matches the head", async () => {
    const wrong = await failure(() => octokit.rest.pulls.merge({ owner, repo, pull_number: 7, sha: "c".repeat(40) }));
    expect(wrong.status).toBe(409);
    expect(wrong.message).toMatch(/Head branch was modified/);
    expect(fake.state.pullRequest(REPO, 7).merged).toBe(false);

    const { data } = await octokit.rest.pulls.merge({ owner, repo, pull_number: 7, sha: HEAD, merge_method: "squash" });
    expect(data).toMatchObject({ merged: true, message: "Pull Request successfully merged" });
    expect(data.sha).toMatch(/^[0-9a-f]{40}$/);
    const { data: pr } = await octokit.rest.pulls.get({ owner, repo, pull_number: 7 });
    expect(pr).toMatchObject({ merged: true, state: "closed", merged_by: { login: "mario[bot]" } });
    expect((await failure(() => octokit.rest.pulls.merge({ owner, repo, pull_number: 7 }))).status).toBe(405);
    fake.assertNoViolations();
  });
});

describe("fake GitHub: permissions", () => {
  it.each([
    ["admin", "admin"],
    ["maintain", "write"],
    ["write", "write"],
    ["triage", "read"],
    ["read", "read"],
    ["none", "none"],
  ] as const)("role %s → permission %s", async (role, permission) => {
    fake.state.setPermission(REPO, "carol", role);
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: "carol" });
    expect(data).toMatchObject({ permission, role_name: role, user: { login: "carol" } });
    fake.assertNoViolations();
  });

  it("answers 404 for a user without a permission entry, or GitHub's implicit read/none when asked to", async () => {
    const err = await failure(() => octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: "mallory" }));
    expect(err.status).toBe(404);
    expect(err.response?.data).toMatchObject({ message: "Not Found" });

    fake.state.nonCollaborators = "implicit";
    const pub = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: "mallory" });
    expect(pub.data.permission).toBe("read");
    fake.state.addRepo("octo/secret", { private: true });
    const priv = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo: "secret", username: "mallory" });
    expect(priv.data.permission).toBe("none");
    fake.assertNoViolations();
  });
});

describe("fake GitHub: violations", () => {
  it("records a body that violates the operation's schema and answers 422", async () => {
    const err = await failure(() =>
      raw("POST /repos/{owner}/{repo}/check-runs", { owner, repo, name: "x", head_sha: HEAD, status: "bogus" }),
    );
    expect(err.status).toBe(422);
    expect(fake.violations).toHaveLength(1);
    expect(fake.violations[0]).toContain("checks/create");
    expect(fake.violations[0]).toContain('body.status must be one of: "queued", "in_progress", "completed"');
    expect(() => fake.assertNoViolations()).toThrow(/1 violation\(s\)[\s\S]*body\.status must be one of/);
    expect(fake.state.checkRuns()).toEqual([]);
  });

  it("records a missing required body property and an unknown query parameter", async () => {
    await failure(() => raw("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { owner, repo, issue_number: 7 }));
    await failure(() => raw("GET /repos/{owner}/{repo}/pulls", { owner, repo, state: "merged" }));
    await failure(() => raw("GET /repos/{owner}/{repo}/pulls", { owner, repo, colour: "red" }));
    expect(fake.violations).toHaveLength(3);
    expect(fake.violations[0]).toMatch(/missing required request body|missing required property 'body'/);
    expect(fake.violations[1]).toMatch(/query\.state must be one of/);
    expect(fake.violations[2]).toMatch(/unknown query parameter 'colour'/);
  });

  it("records an unknown route and answers 404", async () => {
    const err = await failure(() => octokit.request("GET /repos/{owner}/{repo}/not-a-thing", { owner, repo }));
    expect(err.status).toBe(404);
    expect(fake.violations).toEqual([`GET /repos/${REPO}/not-a-thing: no such route in GitHub's REST API`]);
    expect(fake.requests.at(-1)).toMatchObject({ operationId: undefined, status: 404 });
  });

  it("also serves paths without the /api/v3 prefix", async () => {
    const plain = new Octokit({ baseUrl: fake.url, auth: "x", log, request: { retries: 0 } });
    const { data } = await plain.rest.pulls.get({ owner, repo, pull_number: 7 });
    expect(data.number).toBe(7);
    fake.assertNoViolations();
  });

  it("requires an Authorization header", async () => {
    const anonymous = new Octokit({ baseUrl: fake.apiUrl, log, request: { retries: 0 } });
    const err = await failure(() => anonymous.rest.pulls.get({ owner, repo, pull_number: 7 }));
    expect(err.status).toBe(401);
    expect(fake.violations[0]).toMatch(/no Authorization header/);
  });

  it("requires the app JWT on the access-token route", async () => {
    const err = await failure(() => octokit.rest.apps.createInstallationAccessToken({ installation_id: 1 }));
    expect(err.status).toBe(401);
    expect(fake.violations[0]).toMatch(/needs the app's JWT/);
  });

  it("checks the fake's own responses against GitHub's response schemas when asked to", async () => {
    fake.route("repos/get", () => ({ status: 200, body: { id: 1, name: "demo" } }));
    await octokit.rest.repos.get({ owner, repo });
    expect(fake.violations[0]).toMatch(/fake's own 200 response does not match[\s\S]*archive_url/);
  });

  it("records a call to an endpoint the fake does not implement", async () => {
    const err = await failure(() => octokit.rest.issues.lock({ owner, repo, issue_number: 7 }));
    expect(err.status).toBe(501);
    expect(fake.violations[0]).toMatch(/issues\/lock.*does not implement/);
  });
});

describe("fake GitHub: faults", () => {
  it("failNext answers 502 once, then the endpoint works again", async () => {
    fake.failNext({ operationId: "issues/create-comment" }, faults.badGateway());
    const err = await failure(() => octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: "hi" }));
    expect(err.status).toBe(502);
    const ok = await octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: "hi" });
    expect(ok.status).toBe(201);
    expect(fake.requestsFor("issues/create-comment").map((r) => r.status)).toEqual([502, 201]);
    expect(fake.state.comments(REPO, 7)).toHaveLength(1);
    fake.assertNoViolations();
  });

  it("failNext matches method and path, counts `times`, and can delay", async () => {
    fake.failNext({ method: "GET", path: /\/pulls\/7$/ }, { status: 503, delayMs: 50 }, 2);
    const started = Date.now();
    expect((await failure(() => octokit.rest.pulls.get({ owner, repo, pull_number: 7 }))).status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect((await failure(() => octokit.rest.pulls.get({ owner, repo, pull_number: 7 }))).status).toBe(503);
    expect((await octokit.rest.pulls.get({ owner, repo, pull_number: 7 })).status).toBe(200);
    fake.assertNoViolations();
  });

  it("simulates a secondary rate limit with retry-after", async () => {
    fake.failNext({ operationId: "issues/create-comment" }, faults.secondaryRateLimit(1));
    const err = await failure(() => octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: "hi" }));
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/secondary rate limit/);
    expect(err.response?.headers["retry-after"]).toBe("1");
    expect(err.response?.data).toMatchObject({ documentation_url: expect.stringContaining("secondary-rate-limits") });
    fake.assertNoViolations();
  });
});

describe("fake GitHub: Probot with app authentication", () => {
  it("gets an installation token through the access-token route and uses it", async () => {
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const probot = new Probot({
      appId: 1,
      privateKey,
      baseUrl: fake.apiUrl,
      logLevel: "fatal",
      Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
        ...options,
        retry: { enabled: false },
        throttle: { enabled: false },
      })),
    });
    const app = await probot.auth();
    expect((await app.rest.apps.getAuthenticated()).data).toMatchObject({ id: 1, slug: "mario" });
    expect((await app.rest.apps.getRepoInstallation({ owner, repo })).data).toMatchObject({ id: 1, app_id: 1 });

    const installation = await probot.auth(1);
    const { data } = await installation.rest.issues.createComment({ owner, repo, issue_number: 7, body: "from Probot" });
    expect(data.body).toBe("from Probot");

    const [tokenRequest] = fake.requestsFor("apps/create-installation-access-token");
    expect(tokenRequest?.status).toBe(201);
    expect(tokenRequest?.headers.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i);
    const issued = fake.state.issuedTokens[0]?.token;
    expect(issued).toMatch(/^ghs_/);
    expect(fake.requestsFor("issues/create-comment")[0]?.headers.authorization).toBe(`token ${issued}`);
    fake.assertNoViolations();
  });
});

describe("webhook helpers", () => {
  it("signs like GitHub (X-Hub-Signature-256)", () => {
    // Example from GitHub's docs on validating webhook deliveries.
    expect(signWebhook("It's a Secret to Everybody", "Hello, World!")).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  it("loads real example payloads as independent clones", () => {
    const a = loadWebhookExample("issue_comment", "deleted");
    expect(a.action).toBe("deleted");
    a.comment.body = "changed";
    expect(loadWebhookExample("issue_comment", "deleted").comment.body).not.toBe("changed");
    expect(() => loadWebhookExample("issue_comment", "bogus")).toThrow(/no "issue_comment" example/);
  });

  it("builds an issue_comment event on a pull request from the real example", () => {
    const event = issueCommentEvent({ repo: "acme/widgets", prNumber: 42, body: "/mario deploy", user: "dave", installationId: 5, commentId: 77 });
    expect(event).toMatchObject({
      action: "created",
      repository: { full_name: "acme/widgets", name: "widgets", owner: { login: "acme" } },
      issue: { number: 42, state: "open", pull_request: { url: "https://api.github.com/repos/acme/widgets/pulls/42" } },
      comment: { id: 77, body: "/mario deploy", user: { login: "dave", type: "User" } },
      sender: { login: "dave", type: "User" },
      installation: { id: 5 },
    });
    expect(JSON.stringify(event)).not.toContain("Codertocat/Hello-World");

    const onIssue = issueCommentEvent({ repo: REPO, prNumber: 3, body: "x", user: "ci[bot]", userType: "Bot", isPullRequest: false, issueState: "closed", action: "edited", host: fake.host });
    expect(onIssue.issue.pull_request).toBeUndefined();
    expect(onIssue.issue.state).toBe("closed");
    expect(onIssue.comment.user.type).toBe("Bot");
    expect(onIssue.changes).toEqual({ body: { from: "" } });
    expect(onIssue.repository.url).toBe(`${fake.apiUrl}/repos/${REPO}`);
  });

  it("fake.issueCommentEvent seeds the comment so the bot can react to it", async () => {
    const event = fake.issueCommentEvent({ repo: REPO, prNumber: 7, body: "/mario deploy", user: "alice" });
    expect(fake.state.comment(event.comment.id)).toMatchObject({ body: "/mario deploy", user: { login: "alice" } });
    expect(event.comment.author_association).toBe("NONE");
    expect(event.issue.pull_request.url).toBe(`${fake.apiUrl}/repos/${REPO}/pulls/7`);
    const reaction = await octokit.rest.reactions.createForIssueComment({ owner, repo, comment_id: event.comment.id, content: "eyes" });
    expect(reaction.status).toBe(201);
    fake.assertNoViolations();
  });

  it("delivers a signed webhook", async () => {
    const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ headers: req.headers, body });
        res.writeHead(202).end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
    try {
      const payload = issueCommentEvent({ repo: REPO, prNumber: 7, body: "/mario help", user: "alice" });
      expect(await sendWebhook(url, { name: "issue_comment", payload, secret: "s3cret" })).toEqual({ status: 202, text: "ok" });
      await sendWebhook(url, { name: "issue_comment", payload, secret: "s3cret", signature: null, deliveryId: "d-1" });
      const [signed, unsigned] = seen;
      expect(signed?.headers["x-github-event"]).toBe("issue_comment");
      expect(signed?.headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(signed?.headers["content-type"]).toBe("application/json");
      expect(signed?.headers["x-hub-signature-256"]).toBe(signWebhook("s3cret", signed?.body ?? ""));
      expect(unsigned?.headers["x-hub-signature-256"]).toBeUndefined();
      expect(unsigned?.headers["x-github-delivery"]).toBe("d-1");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
