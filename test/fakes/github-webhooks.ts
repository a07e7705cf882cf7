/**
 * Webhook helpers for integration tests: real example payloads from @octokit/webhooks-examples, adjusted
 * to the test's repository, and a signed HTTP delivery like GitHub's.
 */
import { createHmac, randomUUID } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

interface WebhookExampleGroup {
  name: string;
  actions: string[];
  examples: Record<string, unknown>[];
}

let examples: WebhookExampleGroup[] | undefined;

function allExamples(): WebhookExampleGroup[] {
  examples ??= require("@octokit/webhooks-examples") as WebhookExampleGroup[];
  return examples;
}

/** `sha256=<hex>`: the X-Hub-Signature-256 of `body` for `secret`. */
export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * A deep clone of the first example payload of event `name` (with `action`, when given) from
 * @octokit/webhooks-examples. Throws when there is none.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadWebhookExample(name: string, action?: string): any {
  const group = allExamples().find((g) => g.name === name);
  if (!group) throw new Error(`@octokit/webhooks-examples has no "${name}" event`);
  const example = group.examples.find((e) => action === undefined || e.action === action);
  if (!example) {
    throw new Error(`@octokit/webhooks-examples has no "${name}" example with action "${action}" (actions: ${group.actions.join(", ")})`);
  }
  return structuredClone(example);
}

export interface IssueCommentEventOptions {
  /** "owner/name" */
  repo: string;
  prNumber: number;
  body: string;
  user: string;
  userType?: "User" | "Bot";
  action?: "created" | "edited" | "deleted";
  /** Default true: the comment is on a pull request (`issue.pull_request` present). */
  isPullRequest?: boolean;
  issueState?: "open" | "closed";
  /** Default 1. */
  installationId?: number;
  /** The comment's id (default: a fresh id, not known to any fake). */
  commentId?: number;
  /** Host for URLs in the payload (default github.com). Other hosts get GitHub Enterprise URLs
   * (`https://<host>/api/v3`; http for 127.0.0.1 / localhost), e.g. `fake.host`. */
  host?: string;
  /** The previous body, for action "edited" (`changes.body.from`). */
  previousBody?: string;
  /** Author of the issue / pull request (default: the example's). */
  issueUser?: string;
  issueTitle?: string;
  /** `comment.author_association` (default "NONE"; decide permissions with the permission endpoint instead). */
  authorAssociation?: string;
  /** `comment.created_at` (default: now, as for a comment just written). */
  createdAt?: string;
}

let nextCommentId = 2_000_000_000;
let nextUserId = 1_000_000;
const userIds = new Map<string, number>();

function userId(login: string): number {
  const key = login.toLowerCase();
  let id = userIds.get(key);
  if (id === undefined) {
    id = nextUserId++;
    userIds.set(key, id);
  }
  return id;
}

/**
 * An `issue_comment` webhook payload built from the real `issue_comment.created` example, with the
 * repository, issue/pull request, comment, sender and installation overwritten.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function issueCommentEvent(opts: IssueCommentEventOptions): any {
  const [owner, name] = opts.repo.split("/");
  if (!owner || !name) throw new Error(`repo must be "owner/name", got "${opts.repo}"`);
  const action = opts.action ?? "created";
  const host = opts.host ?? "github.com";
  const local = /^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host);
  const webBase = `${local ? "http" : "https"}://${host}`;
  const apiBase = host === "github.com" ? "https://api.github.com" : `${webBase}/api/v3`;
  const payload = loadWebhookExample("issue_comment", "created");
  payload.action = action;

  const rewriteUser = (u: Record<string, unknown>, login: string, type: string) => {
    const id = userId(login);
    Object.assign(u, {
      login,
      id,
      node_id: Buffer.from(`04:${type}${id}`).toString("base64"),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      url: `${apiBase}/users/${login}`,
      html_url: `${webBase}/${login}`,
      followers_url: `${apiBase}/users/${login}/followers`,
      following_url: `${apiBase}/users/${login}/following{/other_user}`,
      gists_url: `${apiBase}/users/${login}/gists{/gist_id}`,
      starred_url: `${apiBase}/users/${login}/starred{/owner}{/repo}`,
      subscriptions_url: `${apiBase}/users/${login}/subscriptions`,
      organizations_url: `${apiBase}/users/${login}/orgs`,
      repos_url: `${apiBase}/users/${login}/repos`,
      events_url: `${apiBase}/users/${login}/events{/privacy}`,
      received_events_url: `${apiBase}/users/${login}/received_events`,
      type,
      site_admin: false,
    });
  };

  // Repository: replace every URL of the example repository, then the names.
  const oldFullName = String(payload.repository.full_name);
  const retarget = (value: unknown): unknown => {
    if (typeof value === "string") {
      return value
        .replaceAll(`https://api.github.com/repos/${oldFullName}`, `${apiBase}/repos/${opts.repo}`)
        .replaceAll(`https://github.com/${oldFullName}`, `${webBase}/${opts.repo}`)
        .replaceAll(`git://github.com/${oldFullName}`, `git://${host}/${opts.repo}`)
        .replaceAll(`git@github.com:${oldFullName}`, `git@${host}:${opts.repo}`);
    }
    if (Array.isArray(value)) return value.map(retarget);
    if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) (value as Record<string, unknown>)[k] = retarget(v);
    }
    return value;
  };
  retarget(payload.repository);
  retarget(payload.issue);
  retarget(payload.comment);
  payload.repository.name = name;
  payload.repository.full_name = opts.repo;
  rewriteUser(payload.repository.owner, owner, String(payload.repository.owner.type ?? "User"));

  // Issue / pull request.
  const issue = payload.issue;
  const n = opts.prNumber;
  const kind = opts.isPullRequest === false ? "issues" : "pull";
  issue.number = n;
  issue.url = `${apiBase}/repos/${opts.repo}/issues/${n}`;
  issue.labels_url = `${apiBase}/repos/${opts.repo}/issues/${n}/labels{/name}`;
  issue.comments_url = `${apiBase}/repos/${opts.repo}/issues/${n}/comments`;
  issue.events_url = `${apiBase}/repos/${opts.repo}/issues/${n}/events`;
  issue.html_url = `${webBase}/${opts.repo}/${kind}/${n}`;
  issue.state = opts.issueState ?? "open";
  if (opts.issueTitle !== undefined) issue.title = opts.issueTitle;
  if (opts.issueUser !== undefined) rewriteUser(issue.user, opts.issueUser, "User");
  if (issue.state === "closed") issue.closed_at ??= issue.updated_at;
  else issue.closed_at = null;
  if (opts.isPullRequest === false) {
    delete issue.pull_request;
  } else {
    issue.pull_request = {
      url: `${apiBase}/repos/${opts.repo}/pulls/${n}`,
      html_url: `${webBase}/${opts.repo}/pull/${n}`,
      diff_url: `${webBase}/${opts.repo}/pull/${n}.diff`,
      patch_url: `${webBase}/${opts.repo}/pull/${n}.patch`,
      merged_at: null,
    };
  }

  // Comment.
  const commentId = opts.commentId ?? nextCommentId++;
  const comment = payload.comment;
  comment.id = commentId;
  comment.node_id = Buffer.from(`012:IssueComment${commentId}`).toString("base64");
  comment.url = `${apiBase}/repos/${opts.repo}/issues/comments/${commentId}`;
  comment.html_url = `${webBase}/${opts.repo}/${kind}/${n}#issuecomment-${commentId}`;
  comment.issue_url = issue.url;
  comment.body = opts.body;
  comment.author_association = opts.authorAssociation ?? "NONE";
  comment.created_at = opts.createdAt ?? new Date().toISOString();
  comment.updated_at = comment.created_at;
  rewriteUser(comment.user, opts.user, opts.userType ?? "User");
  if (action === "edited") payload.changes = { body: { from: opts.previousBody ?? "" } };

  // Sender and installation.
  payload.sender = structuredClone(comment.user);
  payload.installation = {
    id: opts.installationId ?? 1,
    node_id: Buffer.from(`023:Integration::Installation${opts.installationId ?? 1}`).toString("base64"),
  };
  return payload;
}

export interface SendWebhookOptions {
  /** Event name (X-GitHub-Event), e.g. "issue_comment". */
  name: string;
  payload: unknown;
  secret: string;
  /** X-GitHub-Delivery (default: a random UUID). */
  deliveryId?: string;
  /** Override X-Hub-Signature-256; null omits the header. Default: computed from secret and body. */
  signature?: string | null;
}

/** POSTs a webhook delivery like GitHub does. */
export async function sendWebhook(url: string, opts: SendWebhookOptions): Promise<{ status: number; text: string }> {
  const body = JSON.stringify(opts.payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/fake",
    "x-github-event": opts.name,
    "x-github-delivery": opts.deliveryId ?? randomUUID(),
    "x-github-hook-id": "1",
    "x-github-hook-installation-target-type": "integration",
    "x-github-hook-installation-target-id": "1",
  };
  const signature = opts.signature === undefined ? signWebhook(opts.secret, body) : opts.signature;
  if (signature !== null) headers["x-hub-signature-256"] = signature;
  const res = await fetch(url, { method: "POST", headers, body });
  return { status: res.status, text: await res.text() };
}
