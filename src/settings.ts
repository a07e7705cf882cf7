import { readFileSync } from "node:fs";
import { z } from "zod";

/** Everything mario reads from the environment, checked at start; every problem is reported at once. */
export interface Settings {
  appId: string;
  privateKey: string;
  webhookSecret: string;
  /** GitHub REST base, e.g. https://api.github.com or https://ghe.example.com/api/v3. */
  githubApiUrl: string;
  redisUrl: string;
  /** Every Redis key and BullMQ queue mario uses starts with this. */
  redisPrefix: string;
  port: number;
  host: string;
  publicUrl: string;
  configPath?: string;
  logLevel: "trace" | "debug" | "info" | "warn" | "error" | "fatal";
  kubeRequestTimeoutMs: number;
  workerConcurrency: number;
  /** Signs log links of private repositories (MARIO_LOG_LINK_KEY); derived from the webhook secret when unset. */
  logLinkKey?: string;
  /** What this process runs: `web` (HTTP intake), `worker` (jobs and singleton duties) or `all` (both). */
  role: "web" | "worker" | "all";
  /** How long a singleton duty's lease lives without renewal: the takeover time after a replica dies. */
  leaseTtlMs: number;
  /** How long a worker's claim on a job lives without renewal: the time before a dead worker's job is retried elsewhere. */
  jobLockMs: number;
  /** Absent when Slack is not configured: mario then runs without it. */
  slack?: SlackSettings;
}

export interface SlackSettings {
  /** Verifies requests to /slack/events; absent in Socket Mode only. */
  signingSecret?: string;
  botToken: string;
  /** App-level token (xapp-…): Socket Mode instead of the HTTP endpoint. */
  appToken?: string;
  /** Web API base, ending in `/api/`. */
  apiUrl: string;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`mario cannot start; fix these settings:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "SettingsError";
  }
}

const envSchema = z.object({
  APP_ID: z.string({ error: "APP_ID is required: the GitHub App's numeric id" }).regex(/^[0-9]+$/, "APP_ID must be the GitHub App's numeric id"),
  WEBHOOK_SECRET: z.string({ error: "WEBHOOK_SECRET is required: the secret set on the GitHub App's webhook" }).min(8, "WEBHOOK_SECRET is too short (8 characters at least)"),
  GHE_HOST: z.string().regex(/^[A-Za-z0-9.-]+(:[0-9]+)?$/, "GHE_HOST must be a host name, optionally with a port (no scheme, no path)").optional(),
  GHE_PROTOCOL: z.enum(["https", "http"], { error: "GHE_PROTOCOL must be https or http" }).default("https"),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, "REDIS_URL must start with redis:// or rediss://").default("redis://127.0.0.1:6379"),
  MARIO_REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, "MARIO_REDIS_PREFIX may use letters, digits, '_' and '-'").default("mario"),
  PORT: z.coerce.number({ error: "PORT must be a number" }).int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  PUBLIC_URL: z.url({ error: "PUBLIC_URL must be an absolute http(s) URL, the address users reach mario at" }).optional(),
  MARIO_CONFIG: z.string().optional(),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal"], { error: "LOG_LEVEL must be one of trace, debug, info, warn, error, fatal" }).default("info"),
  KUBE_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  MARIO_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  MARIO_LOG_LINK_KEY: z.string().min(32, "MARIO_LOG_LINK_KEY is too short (32 characters at least, e.g. `openssl rand -hex 32`)").optional(),
  MARIO_ROLE: z.enum(["web", "worker", "all"], { error: "MARIO_ROLE must be web, worker or all" }).default("all"),
  MARIO_LEASE_TTL_MS: z.coerce.number({ error: "MARIO_LEASE_TTL_MS must be a number" }).int().min(300, "MARIO_LEASE_TTL_MS must be at least 300").default(15_000),
  MARIO_JOB_LOCK_MS: z.coerce.number({ error: "MARIO_JOB_LOCK_MS must be a number" }).int().min(500, "MARIO_JOB_LOCK_MS must be at least 500").default(30_000),
  SLACK_SIGNING_SECRET: z.string().min(8, "SLACK_SIGNING_SECRET is too short (copy it from the Slack app's Basic Information page)").optional(),
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, "SLACK_BOT_TOKEN must be a bot token (xoxb-…)").optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, "SLACK_APP_TOKEN must be an app-level token (xapp-…)").optional(),
  SLACK_API_URL: z.url({ error: "SLACK_API_URL must be an absolute http(s) URL such as https://slack.com/api/" }).optional(),
});

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => i.message));
  const privateKey = readPrivateKey(env, problems);
  if (parsed.success) checkSlack(parsed.data, problems);
  if (!parsed.success || privateKey === undefined || problems.length > 0) throw new SettingsError(problems);

  const e = parsed.data;
  return {
    appId: e.APP_ID,
    privateKey,
    webhookSecret: e.WEBHOOK_SECRET,
    githubApiUrl: e.GHE_HOST ? `${e.GHE_PROTOCOL}://${e.GHE_HOST}/api/v3` : "https://api.github.com",
    redisUrl: e.REDIS_URL,
    redisPrefix: e.MARIO_REDIS_PREFIX,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    configPath: e.MARIO_CONFIG,
    logLevel: e.LOG_LEVEL,
    kubeRequestTimeoutMs: e.KUBE_REQUEST_TIMEOUT_MS,
    workerConcurrency: e.MARIO_WORKER_CONCURRENCY,
    ...(e.MARIO_LOG_LINK_KEY ? { logLinkKey: e.MARIO_LOG_LINK_KEY } : {}),
    role: e.MARIO_ROLE,
    leaseTtlMs: e.MARIO_LEASE_TTL_MS,
    jobLockMs: e.MARIO_JOB_LOCK_MS,
    ...(e.SLACK_BOT_TOKEN
      ? {
          slack: {
            signingSecret: e.SLACK_SIGNING_SECRET,
            botToken: e.SLACK_BOT_TOKEN,
            appToken: e.SLACK_APP_TOKEN,
            apiUrl: (e.SLACK_API_URL ?? "https://slack.com/api/").replace(/\/*$/, "/"),
          },
        }
      : {}),
  };
}

/** Slack is optional, but half a Slack setup is a mistake worth stopping for. */
function checkSlack(e: { SLACK_SIGNING_SECRET?: string; SLACK_BOT_TOKEN?: string; SLACK_APP_TOKEN?: string }, problems: string[]): void {
  if (!e.SLACK_BOT_TOKEN && (e.SLACK_SIGNING_SECRET || e.SLACK_APP_TOKEN)) problems.push("SLACK_BOT_TOKEN is required when SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set");
  if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    problems.push("SLACK_SIGNING_SECRET is required with SLACK_BOT_TOKEN (or SLACK_APP_TOKEN for Socket Mode)");
  }
}

/** PRIVATE_KEY (PEM, literal `\n` allowed as in most secret stores) or PRIVATE_KEY_PATH. */
function readPrivateKey(env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  let key = env.PRIVATE_KEY?.replace(/\\n/g, "\n");
  if (!key && env.PRIVATE_KEY_PATH) {
    try {
      key = readFileSync(env.PRIVATE_KEY_PATH, "utf8");
    } catch (error) {
      problems.push(`PRIVATE_KEY_PATH ${env.PRIVATE_KEY_PATH} cannot be read (${(error as NodeJS.ErrnoException).code})`);
      return undefined;
    }
  }
  if (!key) {
    problems.push("PRIVATE_KEY or PRIVATE_KEY_PATH is required: the GitHub App's private key (PEM)");
    return undefined;
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    problems.push("the GitHub App private key is not a PEM private key (expected -----BEGIN RSA PRIVATE KEY-----)");
    return undefined;
  }
  return key;
}
