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
import { conditionalGets } from "./github/conditional-gets.js";
import { guardRateLimits } from "./github/rate-limit-guard.js";
import { kubeTekton } from "./kube/kube-tekton.js";
import { runNamespaces } from "./kube/run-namespaces.js";
import type { TektonPort } from "./kube/tekton-port.js";
import { createLifecycle } from "./jobs/lifecycle.js";
import { createLogger } from "./log.js";
import { within } from "./web/within.js";
import { defineRedisScripts } from "./work/redis-scripts.js";
import { createMetrics } from "./metrics/metrics.js";
import { observeGitHub, observeRateLimitRemaining } from "./metrics/observe-github.js";
import { observeWorker, onJobDeferred, withJobLogContext } from "./metrics/observe-jobs.js";
import { observeMergePools } from "./metrics/observe-merge-pools.js";
import { observeQueueDepth } from "./metrics/observe-queue.js";
import { observeRunStore } from "./metrics/observe-run-store.js";
import { observeTekton } from "./metrics/observe-tekton.js";
import { observeWebhooks } from "./metrics/observe-webhooks.js";
import { roleRuns } from "./roles.js";
import { createRunStore } from "./runs/run-store.js";
import { logLinkKey } from "./logs/log-links.js";
import { runSignature, runSignatureKey, signingTekton } from "./runs/run-signature.js";
import { watchRuns } from "./runs/watch-runs.js";
import type { Settings } from "./settings.js";
import type { Notify } from "./slack/notify.js";
import { startSlack } from "./slack/start-slack.js";
import { mergeQueueReader } from "./slack/merge-queue-reader.js";
import { poolStore } from "./merge-queue/pool-store.js";
import { createMergeQueue } from "./merge-queue/merge-queue-service.js";
import { createStagingJobs } from "./merge-queue/staging-jobs.js";
import { queueApiRoutes } from "./web/queue-api.js";
import { queuePageRoutes } from "./web/queue-page.js";
import { repoIsPublic } from "./logs/log-access.js";
import { parsePoolId, poolId, repoOf } from "./merge-queue/pool-types.js";
import { appInstallationLookup, cachedInstallationLookup } from "./github/installation-lookup.js";
import { healthRoute } from "./web/health-route.js";
import { boundByRedis } from "./web/redis-bound.js";
import { createHttpServer, type Route } from "./web/http-server.js";
import { metricsRoute } from "./web/metrics-route.js";
import { runPageRoute } from "./web/run-page.js";
import { runsPageRoute } from "./web/runs-page.js";
import { commentReplier, handleCommands, type CommandDeps } from "./work/handle-commands.js";
import { cachedPermission } from "./work/permission-cache.js";
import { LockBusyError, redisLock } from "./work/redis-lock.js";
import { defaultRetryPolicy, type RetryPolicy } from "./work/retry-policy.js";
import { singletonDuty, type SingletonDuty, type StartDuty } from "./work/singleton-duty.js";
import { createWorkQueue, startWorker, type JobHandler, type JobHandlers } from "./work/work-queue.js";


/** How long a closing worker waits for its jobs: within the worker Deployment's 60 s grace period (deploy/worker.yaml). */
const workerCloseMs = 45_000;

export interface MarioOptions {
  settings: Settings;
  config: MarioConfig;
  kubeConfig: KubeConfig;
  log?: Logger;
  retry?: RetryPolicy;
  watchBackoff?: { initialMs: number; maxMs: number };
  /**
   * A notice on top of every dashboard page (the sandbox: "GitHub, Slack and the cluster are simulated"). An
   * option, not a setting, so that no environment variable can put it on a production dashboard.
   */
  banner?: string;
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
  // What this process runs (MARIO_ROLE) and the instruments served on /metrics (src/metrics).
  const runs = roleRuns(settings.role);
  const metrics = createMetrics();
  const prefix = `${settings.redisPrefix}:`;
  const redisOptions = { maxRetriesPerRequest: null, protocol: 2 } as const;
  // Auto-pipelining batches the commands issued in one tick into one write: fewer syscalls under load. Commands
  // defined on such a client after it sent something can crash the process (src/work/redis-scripts.ts): mario's
  // are defined at once, and BullMQ, which defines its own once connected, gets a connection without it.
  const redis = new Redis(settings.redisUrl, { ...redisOptions, enableAutoPipelining: true });
  defineRedisScripts(redis);
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
      client = probot.auth(installationId).then((octokit) => {
        observeRateLimitRemaining(octokit, installationId, metrics);
        conditionalGets(octokit, redis, `${prefix}github-etag:${installationId}:`);
        return observeGitHub(guardRateLimits(octokitGitHub(octokit), redis, `${prefix}github-paused:${installationId}`), metrics);
      });
      client.catch(() => clients.delete(installationId));
      clients.set(installationId, client);
    }
    return client;
  };
  // Every run mario creates is signed, so that runs others label managed-by=mario are never reported.
  const signature = runSignature(runSignatureKey(logLinkKey(settings.logLinkKey, settings.webhookSecret)), log);
  const tekton: TektonPort = signingTekton(observeTekton(kubeTekton(options.kubeConfig, { timeoutMs: settings.kubeRequestTimeoutMs }), metrics), signature);
  const store = observeRunStore(createRunStore(redis, prefix), metrics);
  const lock = redisLock(redis, prefix);
  const queue = createWorkQueue(workerRedis, settings.redisPrefix, retry);
  const permission = cachedPermission(redis, prefix, config.permissionCacheSeconds);
  // Which installation serves a repo (periodic jobs and Slack act without a webhook that would say).
  const installations = cachedInstallationLookup(redis, prefix, appInstallationLookup(() => probot.auth()));
  const installationFor = async (repo: { owner: string; name: string }) => {
    const id = await installations(repo);
    if (id === undefined) throw new Error(`mario is not installed on ${repo.owner}/${repo.name}`);
    return id;
  };
  // Jobs, their commands, the concurrency queue, log archives and links, pruning, periodic jobs (src/jobs).
  // Slack and the merge queue are started below, after the lifecycle they use: what they add to it comes late.
  const late: { notify?: Notify; afterReport?: (namespace: string, name: string) => Promise<void> } = {};
  const lifecycle = createLifecycle({
    config,
    redis,
    prefix,
    bullPrefix: settings.redisPrefix,
    publicUrl: settings.publicUrl,
    webhookSecret: settings.webhookSecret,
    logLinkKey: settings.logLinkKey,
    kubeRequestTimeoutMs: settings.kubeRequestTimeoutMs,
    tekton,
    store,
    lock,
    github,
    permission,
    queueReport: (namespace, name, version) => queue.add("report", { namespace, name }, `${namespace}/${name}@${version}`),
    installationFor,
    afterReport: async (namespace, name) => late.afterReport?.(namespace, name),
    log,
  });
  // The merge queue's staging commits run the pool's required jobs (src/merge-queue/staging-jobs.ts).
  const staging = createStagingJobs({
    config,
    redis,
    prefix,
    github,
    pools: poolStore(redis, prefix),
    store,
    startDeps: { config, tekton, store, report: lifecycle.report, ...lifecycle.startExtras },
    publicUrl: settings.publicUrl,
    installationFor,
    enqueue: (request, id) => queue.add("staging-jobs", request, id),
    enqueueCancel: (request, id) => queue.add("staging-cancel", request, id),
    cancelRun: lifecycle.commands.jobs.cancelRun,
  });
  // Reviews (/lgtm, /approve, /hold) and the merge queue (src/review, src/merge-queue).
  // What the queue did reaches /metrics and subscribed Slack channels (through `late`).
  const mergeQueue = createMergeQueue({
    redis,
    prefix,
    config,
    github,
    log,
    ci: staging.ci,
    permission,
    onHistory: async (pool, entries) => {
      const poolName = poolId(pool);
      const repo = repoOf(pool);
      for (const entry of entries) {
        if (entry.action === "merged") metrics.mergeQueue.merged(poolName, entry.prs.length);
        if (entry.action === "passed" || entry.action === "failed" || entry.action === "split") metrics.mergeQueue.batch(poolName, entry.action, entry.prs.length);
        for (const pr of entry.prs) {
          if (entry.action === "merged") await late.notify?.({ kind: "merged", repo, pr, sha: /merged as ([0-9a-f]+)/.exec(entry.detail)?.[1] ?? "" });
          if (entry.action === "removed") await late.notify?.({ kind: "removed-from-queue", repo, pr, reason: entry.detail, id: `${poolName}#${pr}@${entry.at}` });
        }
      }
    },
  });
  // The queue's pages and API show only pools of public repositories (as the run list shows only their runs).
  const repoPublic = repoIsPublic({ redis, prefix, github });
  const poolVisible = async (id: string) => {
    const pool = parsePoolId(id);
    const installation = await mergeQueue.installationOf(id);
    return pool !== undefined && installation !== undefined && repoPublic(installation, repoOf(pool));
  };
  const review = { redis, prefix, review: config.review };
  // Command runs report a check run and a comment; job runs only their check run; periodic runs a commit status.
  const report = lifecycle.report;
  const commandDeps: CommandDeps = {
    config,
    registry: createCommandRegistry(config, builtinCommands({ ...lifecycle.commands, review })),
    github,
    tekton,
    store,
    report,
    ...lifecycle.startExtras,
    permission,
    redis,
    prefix,
    observeCommand: (verb, outcome) => metrics.command(verb, outcome),
  };
  // Slack (optional): /mario slash commands, live run messages, channel notifications (src/slack).
  // Features notify channels with `slack.notify(event)` (see src/slack/notify.ts).
  const slack = await startSlack({
    settings,
    intake: runs.intake,
    commands: commandDeps,
    // Buttons cancel and retry through the lifecycle, as /cancel and the periodic jobs do.
    runs: { cancelRun: lifecycle.commands.jobs.cancelRun, trusted: lifecycle.commands.jobs.trusted, runPeriodicNow: lifecycle.runPeriodicNow },
    queue,
    lock,
    installations,
    log,
    metrics,
    // `/mario queue` reads the pool views the merge queue's driver writes (src/merge-queue).
    queueReader: config.mergeQueue.enabled ? mergeQueueReader(poolStore(redis, prefix)) : undefined,
  });
  late.notify = slack.notify;
  late.afterReport = async (namespace, name) => {
    await slack.afterReport(namespace, name);
    if (!config.mergeQueue.enabled) return;
    // A job run's result reaches the queue as soon as it is reported (its check_run webhook says the same).
    const result = await staging.resultOf(namespace, name);
    if (result) await mergeQueue.handleEvent(result);
  };

  // One handler per job name; features add theirs here.
  const jobs: JobHandlers = {
    comment: (event, attempt) => {
      const request = { ...event, source: "github" as const };
      return handleCommands(commandDeps, request, event.body, attempt, commentReplier(commandDeps, request));
    },
    report: async ({ namespace, name }, attempt) => {
      // Archives logs, derives the (masked) failure summary, reports, frees the concurrency slot, prunes.
      // (Slack and the merge queue hear of it through afterReport, below.)
      await lifecycle.onRunChanged(namespace, name, attempt);
    },
    ...slack.jobs,
    ...lifecycle.jobs,
    "merge-queue-event": (event) => mergeQueue.handleEvent(event),
    "staging-jobs": (request, attempt) => staging.startJobs(request, attempt),
    "staging-cancel": (request) => staging.cancelJobs(request),
  };
  const handle: JobHandler = withJobLogContext((name, data, attempt) => (jobs[name] as (d: typeof data, a: typeof attempt) => Promise<void>)(data, attempt), log);
  const worker = !runs.work ? undefined : startWorker(workerRedis, settings.redisPrefix, retry, settings.workerConcurrency, handle, (job, error) =>
    // A busy lock is an expected, short wait for another worker, not a failure worth a warning.
    (error instanceof LockBusyError ? log.debug : log.warn).call(log, { err: error, job: job?.name, id: job?.id, attempt: job?.attemptsMade }, "job failed; it will be retried"),
    { lockMs: settings.jobLockMs, onDeferred: onJobDeferred(metrics, log), onError: (error) => log.debug({ err: error }, "worker loop error (the connection's own warning says more)") },
  );
  if (worker) observeWorker(worker, metrics);
  const queueDepth = observeQueueDepth(workerRedis, settings.redisPrefix, metrics);
  if (config.mergeQueue.enabled) observeMergePools(mergeQueue.store, metrics);

  // Duties driven by exactly one replica at a time (a lease in Redis; fast takeover when the holder dies).
  // Only worker processes compete for them. Features add theirs with `singleton(name, start)`.
  const duties: SingletonDuty[] = [];
  const singleton = (name: string, start: StartDuty) => {
    if (runs.work) duties.push(singletonDuty(redis, prefix, name, start, { ttlMs: settings.leaseTtlMs, log, onHeld: (held) => metrics.lease(name, held) }));
  };

  const namespaces = runNamespaces(config);
  if (lifecycle.runQueue) singleton("concurrency-sweep", () => lifecycle.sweepDuty());
  if (config.mergeQueue.enabled) singleton("merge-queue", (lease) => mergeQueue.drive(lease));
  if (runs.work) await lifecycle.schedule(retry.attempts).catch((error: unknown) => log.warn({ err: error }, "could not register the periodic jobs' schedules"));
  singleton("watch-runs", () =>
    watchRuns({
      tekton,
      store,
      signature,
      namespaces,
      log,
      backoff: options.watchBackoff,
      onChange: (namespace, name, version) => queue.add("report", { namespace, name }, `${namespace}/${name}@${version}`),
    }),
  );

  const middleware = await createNodeMiddleware(
    githubApp({
      comment: (event) => queue.add("comment", event, event.deliveryId),
      pullRequest: (event) => queue.add("pull-request", event, event.deliveryId),
      rerequest: (event) => queue.add("rerequest", event, event.deliveryId),
      mergeQueue: (event, deliveryId) => queue.add("merge-queue-event", { ...event, deliveryId }, deliveryId),
    }),
    { probot, webhooksPath: "/api/github/webhooks" },
  );
  let draining = false;
  // A worker-only process serves health and metrics alone; webhooks and pages belong to the web role.
  const intakeOnly = (route: Route): Route => (req, res) => (runs.intake ? route(req, res) : false);
  // Pages and the queue API answer 503 "Redis is unreachable" instead of waiting out a Redis outage.
  const pageOnly = (route: Route): Route => intakeOnly(boundByRedis(redis, route));
  const server = createHttpServer(
    [
      healthRoute({ redis, tekton, draining: () => draining, requireKube: runs.work }),
      metricsRoute(metrics),
      intakeOnly(observeWebhooks(async (req, res) => (await middleware(req, res)) === true, metrics, log)),
      pageOnly(runPageRoute({ store, tekton, ...lifecycle.runPage })),
      pageOnly(runsPageRoute({ store })),
      ...queueApiRoutes(mergeQueue.store, poolVisible).map(pageOnly),
      ...queuePageRoutes({ store: mergeQueue.store, enabled: config.mergeQueue.enabled, requiredLabels: config.mergeQueue.requiredLabels, visible: poolVisible }).map(pageOnly),
      ...slack.routes.map(intakeOnly),
    ],
    log,
    { banner: options.banner },
  );
  await new Promise<void>((resolve) => server.listen(settings.port, settings.host, resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${settings.host === "0.0.0.0" ? "127.0.0.1" : settings.host}:${port}`;
  log.info({ url, publicUrl: settings.publicUrl, namespaces, role: settings.role }, "mario is listening");

  return {
    url,
    async close() {
      // Readiness fails first; in-flight webhooks finish (and are queued) before the server closes; leases are
      // released so another replica takes the duties over; active jobs finish (BullMQ), or stall and are retried
      // elsewhere if the process is killed first; then the connections close.
      draining = true;
      await Promise.all([
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
        Promise.all(duties.map((d) => d.stop())),
      ]);
      // BullMQ's close waits for the running jobs, then for its blocking connection to end; ioredis never ends a
      // connection closed while it waits to reconnect (Redis just restarted), so that wait is bounded: jobs still
      // running then are retried by another replica once their locks expire.
      if (worker) await within(worker.close(), workerCloseMs).catch(() => log.warn({ waitedMs: workerCloseMs }, "the worker did not close in time; its unfinished jobs are retried elsewhere"));
      await slack.close();
      await Promise.all([queue.close(), queueDepth.close()]);
      await Promise.all([redis.quit(), workerRedis.quit()]);
    },
  };
}
