import { loadWebhookExample } from "../test/fakes/github-webhooks.js";
import type { FakeGitHub } from "../test/fakes/fake-github.js";

/**
 * `pull_request` webhooks for the sandbox's buttons (label, push), built from GitHub's real example payloads
 * with the demo repository's data put in.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function pullRequestEvent(github: FakeGitHub, repo: string, number: number, action: string, sender: string, extra: Record<string, unknown> = {}): any {
  const event = loadWebhookExample("pull_request", action);
  const pr = github.state.pullRequest(repo, number);
  const [owner, name] = repo.split("/") as [string, string];
  const user = (login: string) => ({ ...event.sender, login, type: "User", html_url: `https://github.com/${login}` });
  event.action = action;
  event.number = number;
  event.installation = { id: 1, node_id: "sandbox" };
  event.sender = user(sender);
  event.repository = { ...event.repository, name, full_name: repo, owner: { ...event.repository.owner, login: owner }, private: false };
  Object.assign(event.pull_request, {
    number,
    title: pr.title,
    state: pr.state,
    draft: pr.draft,
    merged: pr.merged,
    user: user(pr.user.login),
    labels: pr.labels.map((l) => ({ id: 1, node_id: "l", url: "", name: l, color: "ededed", default: false, description: null })),
    updated_at: pr.updatedAt,
    head: { ...event.pull_request.head, sha: pr.head.sha, ref: pr.head.ref, repo: event.repository },
    base: { ...event.pull_request.base, sha: pr.base.sha, ref: pr.base.ref, repo: event.repository },
  });
  return Object.assign(event, extra);
}
