import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { githubApp } from "../handlers/github-app.js";
import { builtinCommands } from "./commands/builtin-commands.js";
import { createCommandRegistry } from "./commands/command-registry.js";
import type { MarioConfig } from "./config/config-schema.js";
import type { GitHubForInstallation, GitHubPort } from "./github/github-port.js";
import { octokitGitHub } from "./github/octokit-github.js";
import { guardRateLimits } from "./github/rate-limit-guard.js";
import { kubeTekton } from "./kube/kube-tekton.js";
import type { TektonPort } from "./kube/tekton-port.js";
import { createLogger } from "./log.js";
import { findFailure } from "./runs/find-failure.js";
import { reportRun } from "./runs/report-run.js";
import { createRunStore } from "./runs/run-store.js";
import { watchRuns } from "./runs/watch-runs.js";
import type { Settings } from "./settings.js";
import { healthRoute } from "./web/health-route.js";
import { createHttpServer } from "./web/http-server.js";
import { runPageRoute } from "./web/run-page.js";
import { runsPageRoute } from "./web/runs-page.js";
import { commentReplier, handleCommands, type CommandDeps } from "./work/handle-commands.js";
import { cachedPermission } from "./work/permission-cache.js";
import { LockBusyError, redisLock } from "./work/redis-lock.js";
import { defaultRetryPolicy, type RetryPolicy } from "./work/retry-policy.js";
import { createWorkQueue, startWorker, type JobHandler, type JobHandlers } from "./work/work-queue.js";

export interface MarioOptions {
  settings: Settings;
  config: MarioConfig;
  kubeConfig: KubeConfig;
  log?: Logger;
  retry?: RetryPolicy;
  watchBackoff?: { initialMs: number; maxMs: number };
}

export interface Mario {
  url: string;
  close(): Promise<void>;
}

/** Wires mario together: HTTP intake, the BullMQ worker and the PipelineRun watcher, in one process. */
export async function startMario(options: MarioOptions): Promise<Mario> {
  const { settings, config } = options;
  const log = options.log ?? createLogger(settings.logLevel);
  const retry = options.retry ?? defaultRetryPolicy;
  const prefix = `${settings.redisPrefix}:`;
  const redisOptions = { maxRetriesPerRequest: null, protocol: 2 } as const;
  // Auto-pipelining batches the commands issued in one tick into one write: fewer syscalls under load.
  const redis = new Redis(settings.redisUrl, { ...redisOptions, enableAutoPipelining: true });
  const workerRedis = new Redis(settings.redisUrl, redisOptions);
  for (const r of [redis, workerRedis]) r.on("error", (error) => log.warn({ err: error }, "Redis connection problem; reconnecting"));

  const probot = new Probot({
    appId: settings.appId,
    privateKey: settings.privateKey,
    secret: settings.webhookSecret,
    baseUrl: settings.githubApiUrl,
    log: log.child({ name: "probot" }),
    // Failed requests are retried by the job queue (which honours Retry-After), not inside a request.
    Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
  });
  // One client per installation: its auth strategy caches and refreshes the installation token by itself, and
  // building an Octokit with all its plugins per job costs more CPU than the job's own work.
  const clients = new Map<number, Promise<GitHubPort>>();
  const github: GitHubForInstallation = (installationId) => {
    let client = clients.get(installationId);
    if (!client) {
      if (clients.size >= 1000) clients.delete(clients.keys().next().value!);
      client = probot.auth(installationId).then((octokit) => guardRateLimits(octokitGitHub(octokit), redis, `${prefix}github-paused:${installationId}`));
      client.catch(() => clients.delete(installationId));
      clients.set(installationId, client);
    }
    return client;
  };
  const tekton: TektonPort = kubeTekton(options.kubeConfig, { timeoutMs: settings.kubeRequestTimeoutMs });
  const store = createRunStore(redis, prefix);
  const lock = redisLock(redis, prefix);
  const queue = createWorkQueue(redis, settings.redisPrefix, retry);
  const report = (namespace: string, name: string) => reportRun({ store, github, publicUrl: settings.publicUrl, lock }, namespace, name);
  const commandDeps: CommandDeps = {
    config,
    registry: createCommandRegistry(config, builtinCommands({})),
    github,
    tekton,
    store,
    report,
    permission: cachedPermission(redis, prefix, config.permissionCacheSeconds),
    redis,
    prefix,
  };

  // One handler per job name; features add theirs here.
  const jobs: JobHandlers = {
    comment: (event, attempt) => {
      const request = { ...event, source: "github" as const };
      return handleCommands(commandDeps, request, event.body, attempt, commentReplier(commandDeps, request));
    },
    report: async ({ namespace, name }) => {
      const record = await store.get(namespace, name);
      if (record && (record.status.state === "failed" || record.status.state === "timed-out") && !record.failure) {
        const failure = await findFailure(tekton, record);
        if (failure) await store.setFailure(namespace, name, failure);
      }
      await report(namespace, name);
    },
  };
  const handle: JobHandler = (name, data, attempt) => (jobs[name] as (d: typeof data, a: typeof attempt) => Promise<void>)(data, attempt);
  const worker = startWorker(workerRedis, settings.redisPrefix, retry, settings.workerConcurrency, handle, (job, error) =>
    // A busy lock is an expected, short wait for another worker, not a failure worth a warning.
    (error instanceof LockBusyError ? log.debug : log.warn).call(log, { err: error, job: job?.name, id: job?.id, attempt: job?.attemptsMade }, "job failed; it will be retried"),
  );

  const namespaces = [...new Set([config.defaults.namespace, ...Object.values(config.commands).map((c) => c.pipeline.namespace ?? config.defaults.namespace)])];
  const watcher = watchRuns({
    tekton,
    store,
    namespaces,
    log,
    backoff: options.watchBackoff,
    onChange: (namespace, name, version) => queue.add("report", { namespace, name }, `${namespace}/${name}@${version}`),
  });

  const middleware = await createNodeMiddleware(
    githubApp({ comment: (event) => queue.add("comment", event, event.deliveryId) }),
    { probot, webhooksPath: "/api/github/webhooks" },
  );
  const server = createHttpServer(
    [
      healthRoute({ redis, tekton }),
      async (req, res) => (await middleware(req, res)) === true,
      runPageRoute({ store, tekton }),
      runsPageRoute({ store }),
    ],
    log,
  );
  await new Promise<void>((resolve) => server.listen(settings.port, settings.host, resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${settings.host === "0.0.0.0" ? "127.0.0.1" : settings.host}:${port}`;
  log.info({ url, publicUrl: settings.publicUrl, namespaces }, "mario is listening");

  return {
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      watcher.stop();
      await worker.close();
      await queue.close();
      await Promise.all([redis.quit(), workerRedis.quit()]);
    },
  };
}
