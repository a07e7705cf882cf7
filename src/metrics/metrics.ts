import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The outside services mario calls. */
export type Api = "github" | "kubernetes" | "slack";

/**
 * mario's Prometheus instruments, one registry per mario instance (served on `/metrics`). Features record through
 * these narrow functions rather than touching prom-client, so names and labels stay in one place. Label values
 * are bounded sets (event names, verbs, operations, states, pools): never user text, PR numbers or run names.
 */
export interface Metrics {
  readonly registry: Registry;
  /** A GitHub webhook answered: `outcome` is accepted, ignored, rejected (bad signature/body) or error. */
  webhook(event: string, outcome: string): void;
  /** A command handled: `outcome` is started, ran, refused, invalid, unknown, not-on-pr or pr-closed. */
  command(verb: string, outcome: string): void;
  /**
   * A job ended one attempt (`deferred`: put off by a rate limit, the attempt not counted). Times in ms; `waitMs`
   * is from enqueue (or retry due time) to start.
   */
  job(name: string, outcome: "completed" | "retrying" | "failed" | "deferred", waitMs: number | undefined, runMs: number | undefined): void;
  /** A PipelineRun's record moved to `state` (one count per visible change, on any replica). */
  runState(state: string): void;
  /** One call to GitHub, Kubernetes or Slack: `outcome` is ok, rate_limited, an HTTP status, timeout or unreachable. */
  apiCall(api: Api, operation: string, outcome: string, seconds: number): void;
  /** A service asked us to slow down; the work was kept and retried later. */
  rateLimited(api: Api): void;
  /** GitHub's x-ratelimit-remaining for an installation (from the last response). */
  githubRateLimitRemaining(installationId: number, remaining: number): void;
  /** 1 while this process drives the singleton duty, else 0 (the sum over replicas should be 1). */
  lease(duty: string, held: boolean): void;
  /** Called at each scrape to refresh gauges that are read, not counted (queue depth, merge pool sizes). */
  onCollect(refresh: () => Promise<void>): void;
  queueDepth(state: string, jobs: number): void;
  mergeQueue: {
    /** PRs in line in a pool (owner/repo:branch): ready to merge, being tested or waiting for a run. */
    size(pool: string, prs: number): void;
    /** PRs merged by the queue. */
    merged(pool: string, prs?: number): void;
    /** A batch (or single PR) tested: outcome e.g. success, failure, bisected, conflict, aborted. */
    batch(pool: string, outcome: string, size: number): void;
  };
}

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const refreshers: (() => Promise<void>)[] = [];
  const r = { registers: [registry] };

  const webhooks = new Counter({ ...r, name: "mario_webhooks_total", help: "GitHub webhooks received, by event and outcome", labelNames: ["event", "outcome"] });
  const commands = new Counter({ ...r, name: "mario_commands_total", help: "Commands handled, by verb and outcome", labelNames: ["verb", "outcome"] });
  const jobs = new Counter({ ...r, name: "mario_jobs_total", help: "Job attempts, by job name and outcome", labelNames: ["name", "outcome"] });
  const jobWait = new Histogram({ ...r, name: "mario_job_wait_seconds", help: "Time a job waited in the queue before a worker took it", labelNames: ["name"], buckets: seconds });
  const jobRun = new Histogram({ ...r, name: "mario_job_duration_seconds", help: "Time a worker spent on a job attempt", labelNames: ["name", "outcome"], buckets: seconds });
  const runs = new Counter({ ...r, name: "mario_pipelineruns_total", help: "PipelineRun state changes seen, by the state entered", labelNames: ["state"] });
  const calls = new Counter({ ...r, name: "mario_api_requests_total", help: "Requests to GitHub, Kubernetes and Slack, by operation and outcome", labelNames: ["api", "operation", "outcome"] });
  const callTime = new Histogram({ ...r, name: "mario_api_request_duration_seconds", help: "Duration of requests to GitHub, Kubernetes and Slack", labelNames: ["api", "operation"], buckets: seconds });
  const limited = new Counter({ ...r, name: "mario_rate_limited_total", help: "Times a service asked mario to slow down (the work is retried later)", labelNames: ["api"] });
  const remaining = new Gauge({ ...r, name: "mario_github_rate_limit_remaining", help: "GitHub API requests left in the current window, per installation", labelNames: ["installation"] });
  const leases = new Gauge({ ...r, name: "mario_lease_held", help: "1 while this process drives the singleton duty", labelNames: ["duty"] });
  const depth = new Gauge({
    ...r,
    name: "mario_queue_jobs",
    help: "Jobs in the work queue, by state (the same on every replica: aggregate with max)",
    labelNames: ["state"],
    async collect() {
      await Promise.all(refreshers.map((f) => f().catch(() => undefined)));
    },
  });
  const mqSize = new Gauge({ ...r, name: "mario_merge_queue_size", help: "Pull requests in line in a merge pool (ready to merge, tested or waiting for a run), from the driver's last sync", labelNames: ["pool"] });
  const mqMerged = new Counter({ ...r, name: "mario_merge_queue_merged_total", help: "Pull requests merged by the merge queue", labelNames: ["pool"] });
  const mqBatches = new Counter({ ...r, name: "mario_merge_queue_batches_total", help: "Merge-queue batches tested, by outcome", labelNames: ["pool", "outcome"] });
  const mqBatchSize = new Histogram({ ...r, name: "mario_merge_queue_batch_size", help: "Pull requests per tested batch", labelNames: ["pool"], buckets: [1, 2, 3, 4, 6, 8, 12, 16] });

  return {
    registry,
    webhook: (event, outcome) => webhooks.inc({ event, outcome }),
    command: (verb, outcome) => commands.inc({ verb, outcome }),
    job(name, outcome, waitMs, runMs) {
      jobs.inc({ name, outcome });
      if (waitMs !== undefined && waitMs >= 0) jobWait.observe({ name }, waitMs / 1000);
      if (runMs !== undefined && runMs >= 0) jobRun.observe({ name, outcome }, runMs / 1000);
    },
    runState: (state) => runs.inc({ state }),
    apiCall(api, operation, outcome, s) {
      calls.inc({ api, operation, outcome });
      callTime.observe({ api, operation }, s);
    },
    rateLimited: (api) => limited.inc({ api }),
    githubRateLimitRemaining: (installationId, value) => remaining.set({ installation: String(installationId) }, value),
    lease: (duty, held) => leases.set({ duty }, held ? 1 : 0),
    onCollect: (refresh) => void refreshers.push(refresh),
    queueDepth: (state, n) => depth.set({ state }, n),
    mergeQueue: {
      size: (pool, prs) => mqSize.set({ pool }, prs),
      merged: (pool, prs = 1) => mqMerged.inc({ pool }, prs),
      batch(pool, outcome, size) {
        mqBatches.inc({ pool, outcome });
        mqBatchSize.observe({ pool }, size);
      },
    },
  };
}
