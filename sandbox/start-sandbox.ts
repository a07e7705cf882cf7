// npm run sandbox — mario on this machine with simulated GitHub, Slack and Kubernetes, and a page to drive it.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { pino } from "pino";
import { loadConfigFile } from "../src/config/load-config.js";
import { startMario } from "../src/mario.js";
import { loadSettings } from "../src/settings.js";
import { startFakeGitHub } from "../test/fakes/fake-github.js";
import { startFakeKube } from "../test/fakes/fake-kube.js";
import { startSandboxPage, type DemoUser } from "./sandbox-page.js";
import { sandboxRedis } from "./sandbox-redis.js";
import { startSandboxSlack, type SandboxSlack } from "./sandbox-slack.js";
import { simulateCi, simulatedCiContext } from "./simulated-ci.js";
import { simulateTekton } from "./simulated-tekton.js";

const repo = "demo/hello";
const users: DemoUser[] = [
  { login: "maria", role: "maintainer" },
  { login: "rey", role: "reviewer" },
  { login: "otto", role: "outsider" },
];

/** `preferred` when it is free, else any free port (0 = any). */
function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | undefined>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(undefined));
      probe.listen(port, "127.0.0.1", () => {
        const actual = (probe.address() as { port: number }).port;
        probe.close(() => resolve(actual));
      });
    });
  return tryPort(preferred).then(async (port) => port ?? (await tryPort(0))!);
}

/**
 * `config/mario.yaml` with the merge queue on (waiting for the simulated CI's check) and the simulated Slack's
 * channel and users.
 */
function sandboxConfig(slack: SandboxSlack, configFile?: string) {
  const config = loadConfigFile(configFile);
  return { ...config, mergeQueue: { ...config.mergeQueue, enabled: true, requiredChecks: [simulatedCiContext], maxInFlight: 2 }, slack: slack.config };
}

/** The notice on top of mario's own pages in the sandbox (a startMario option: production cannot turn it on). */
export const sandboxBanner = "SANDBOX — GitHub, Slack and the Kubernetes cluster are simulated on this machine. Nothing leaves it.";

export interface SandboxOptions {
  marioPort?: number;
  pagePort?: number;
  log?: boolean;
  redisUrl?: string;
  /** The mario configuration (default: config/mario.yaml, or MARIO_CONFIG). */
  configFile?: string;
}

export async function startSandbox(options: SandboxOptions = {}) {
  // Everything started so far, stopped newest first by `stop()` — or at once when a later step fails to start,
  // so a failed start leaves no redis-server or server behind.
  const started: (() => unknown)[] = [];
  const stopAll = async () => {
    for (const stop of started.splice(0).reverse()) await Promise.resolve().then(stop).catch(() => undefined);
  };
  try {
    return await start(options, started, stopAll);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function start(options: SandboxOptions, started: (() => unknown)[], stopAll: () => Promise<void>) {
  const redis = await sandboxRedis(options.redisUrl);
  started.push(() => redis.stop());
  const [github, kube] = await Promise.all([startFakeGitHub(), startFakeKube({ bookmarkIntervalMs: 0 })]);
  started.push(() => Promise.all([github.close(), kube.close()]));
  github.state.addRepo(repo);
  github.state.setPermission(repo, "maria", "admin");
  github.state.setPermission(repo, "rey", "write");
  github.state.setPermission(repo, "otto", "none");
  // `main` at a known commit the PRs are based on, so the merge queue can stage and merge them; OWNERS for /approve.
  const main = github.state.newSha();
  github.state.git.setBranch(repo, "main", main);
  github.state.git.setFile(repo, "OWNERS", "approvers: [maria, rey]\n");
  const base = { sha: main, ref: "main" };
  github.state.addPullRequest(repo, { number: 1, user: "rey", title: "Add a greeting", base });
  github.state.addPullRequest(repo, { number: 2, user: "otto", title: "Fix a typo (from a fork)", base });
  github.state.addPullRequest(repo, { number: 3, user: "maria", title: "Update the docs", base });
  const tekton = simulateTekton(kube);
  started.push(() => tekton.stop());
  const slack = await startSandboxSlack({ repo, users: users.map((u) => u.login) });
  started.push(() => slack.close());

  const webhookSecret = randomUUID();
  const marioPort = await freePort(options.marioPort ?? 3000);
  const prefix = `mario-sandbox-${randomUUID().slice(0, 8)}`;
  started.push(async () => {
    const r = new Redis(redis.url, { protocol: 2, maxRetriesPerRequest: 1 });
    r.on("error", () => undefined); // a Redis already gone leaves nothing to clean up
    try {
      const keys = await r.keys(`${prefix}*`);
      if (keys.length) await r.del(...keys);
    } finally {
      r.disconnect();
    }
  });
  const settings = loadSettings({
    APP_ID: "1",
    PRIVATE_KEY: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    WEBHOOK_SECRET: webhookSecret,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    REDIS_URL: redis.url,
    MARIO_REDIS_PREFIX: prefix,
    PORT: String(marioPort),
    HOST: "127.0.0.1",
    PUBLIC_URL: `http://127.0.0.1:${marioPort}`,
    ...slack.env,
  });
  const mario = await startMario({
    settings,
    config: sandboxConfig(slack, options.configFile),
    kubeConfig: kube.kubeConfig(),
    log: pino({ level: options.log === false ? "silent" : "warn" }),
    watchBackoff: { initialMs: 100, maxMs: 2000 },
    banner: sandboxBanner,
  });
  started.push(() => mario.close());
  const ci = simulateCi({ github, repo, marioUrl: mario.url, webhookSecret });
  started.push(() => ci.stop());
  slack.setMarioUrl(mario.url);
  const sandboxPage = await startSandboxPage({ github, repo, users, marioUrl: mario.url, webhookSecret, panes: () => [slack.pane()], slash: (user, text) => slack.slash(user, text) }, await freePort(options.pagePort ?? 0));
  started.push(() => {
    sandboxPage.server.close();
    sandboxPage.server.closeAllConnections(); // a browser's keep-alive connection would hold the close
  });

  return {
    url: sandboxPage.url,
    marioUrl: mario.url,
    github,
    kube,
    slack,
    stop: stopAll,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const sandbox = await startSandbox({ pagePort: Number(process.env.SANDBOX_PORT ?? 4000) });
    console.log(`
mario sandbox is running. GitHub, Slack and the Kubernetes cluster are SIMULATED on this machine.

  Open the sandbox:     ${sandbox.url}/
  mario's dashboard:    ${sandbox.marioUrl}/

Comment on a pull request as maria (maintainer), rey (reviewer) or otto (outsider), add labels or push a commit,
and watch the checks, comments, dashboard and merge queue react. Press Ctrl-C to stop.`);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      console.log("\nstopping the sandbox…");
      sandbox.stop().then(() => process.exit(0), () => process.exit(1));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  } catch (error) {
    console.error(`The sandbox could not start: ${(error as Error).message}`);
    process.exit(1);
  }
}
