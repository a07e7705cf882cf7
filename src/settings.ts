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
});

export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => i.message));
  const privateKey = readPrivateKey(env, problems);
  if (!parsed.success || privateKey === undefined) throw new SettingsError(problems);

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
  };
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
