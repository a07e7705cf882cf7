import { renderRepo } from "../test/fakes/github-render.js";
import { loadWebhookExample } from "../test/fakes/github-webhooks.js";
import { sendWebhook, type FakeGitHub } from "../test/fakes/fake-github.js";

export const simulatedCiContext = "sandbox/ci";

/**
 * Plays the repository's CI in the sandbox: every open PR head and every staging commit the merge queue
 * publishes (`mario/queue/...` branches) gets a green `sandbox/ci` status a moment after it appears, as a
 * status webhook to mario — the way an external CI reports. Descriptions say it is simulated.
 */
export function simulateCi(opts: { github: FakeGitHub; repo: string; marioUrl: string; webhookSecret: string; delayMs?: number }): { stop(): void } {
  const { github, repo } = opts;
  const delayMs = opts.delayMs ?? 800;
  const seen = new Map<string, number>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const report = async (sha: string, what: string) => {
    const s = github.state;
    const description = `[simulated] tests passed on ${what}`;
    const targetUrl = `https://ci.sandbox.invalid/${sha.slice(0, 7)}`;
    s.statusesList.push({ id: s.nextId(), repo: s.repo(repo).fullName, sha, state: "success", targetUrl, description, context: simulatedCiContext, creator: s.bot, createdAt: s.now(), updatedAt: s.now() });
    const payload = loadWebhookExample("status");
    await sendWebhook(`${opts.marioUrl}/api/github/webhooks`, {
      name: "status",
      secret: opts.webhookSecret,
      payload: { ...payload, sha, state: "success", context: simulatedCiContext, description, target_url: targetUrl, repository: renderRepo({ base: github.url, state: s }, s.repo(repo)), installation: { id: 1, node_id: "sandbox" } },
    });
  };

  const tick = async () => {
    const now = Date.now();
    const commits: [string, string][] = github.state
      .pullRequests(repo)
      .filter((p) => p.state === "open")
      .map((p) => [p.head.sha, `#${p.number}`]);
    for (const [branch, sha] of github.state.git.branches.get(repo.toLowerCase()) ?? new Map<string, string>()) {
      if (branch.startsWith("mario/queue/")) commits.push([sha, `the merge queue's staging commit ${branch}`]);
    }
    for (const [sha, what] of commits) {
      const since = seen.get(sha);
      if (since === undefined) seen.set(sha, now);
      else if (since > 0 && now - since >= delayMs) {
        seen.set(sha, -1); // reported once
        await report(sha, what);
      }
    }
  };
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      tick().catch(() => undefined).finally(loop);
    }, 200);
  };
  loop();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
