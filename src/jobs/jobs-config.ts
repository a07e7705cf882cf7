import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import { permissionLevels } from "../github/permission.js";

/**
 * The config sections of the run lifecycle: `jobs`, `trust`, `concurrency`, `pruning` and `logs`. Built from the
 * command `pipeline` schema (passed in, so this file and config-schema.ts do not import each other).
 */
export function lifecycleSchemas<P extends z.ZodTypeAny>(pipelineSchema: P) {
  const jobName = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, "job names are lower-case words of at most 40 characters");
  const repoPattern = z
    .string()
    .regex(/^[A-Za-z0-9_.-]+\/([A-Za-z0-9_.-]+|\*)$/, 'must be "org/repo" or "org/*"');
  const regex = z.string().superRefine((source, ctx) => {
    try {
      new RegExp(source, "u");
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `is not a valid regular expression: ${(error as Error).message}` });
    }
  });
  const cron = z.string().superRefine((pattern, ctx) => {
    try {
      CronExpressionParser.parse(pattern, { tz: "UTC" });
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `is not a valid cron pattern: ${(error as Error).message}` });
    }
  });

  const job = z
    .object({
      name: jobName,
      description: z.string().min(1).optional(),
      /** `org/repo` or `org/*`. */
      repos: z.array(repoPattern).min(1),
      /** Regular expression over the PR's base branch (presubmits). Unanchored patterns match anywhere. */
      branches: regex.default("^.*$"),
      /** Globs over changed files; the job runs only when one matches. Absent: always. */
      paths: z.array(z.string().min(1)).min(1).optional(),
      /** Required jobs must succeed before a merge (the merge queue reads this). */
      required: z.boolean().default(true),
      pipeline: pipelineSchema,
      /** Secrets whose values are masked in logs, besides the secrets bound as workspaces. */
      maskSecrets: z.array(z.string().min(1)).default([]),
      /** Periodic jobs: a cron pattern (UTC) and the branch whose head they run on. */
      schedule: cron.optional(),
      branch: z.string().regex(/^[A-Za-z0-9_./-]{1,200}$/, "must be a branch name").optional(),
    })
    .strict();

  const trust = z
    .object({
      /** Repository permission that makes a user trusted. */
      minPermission: z.enum(permissionLevels).default("write"),
      /** Members of the organization owning the repository are trusted. */
      orgMembers: z.boolean().default(true),
      /** An `/ok-to-test` approves only the head it was given for; a later push needs a new one. */
      okToTestPerPush: z.boolean().default(true),
      /** Secrets (workspace `secret.secretName`) that PRs from forks may still get; others become emptyDir. */
      forkSafeSecrets: z.array(z.string().min(1)).default([]),
      /** The service account of every run of a fork's PR (jobs and commands), instead of the configured one. */
      forkServiceAccount: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "must be a Kubernetes service account name (lower-case letters, digits, '-' and '.')")
        .optional(),
    })
    .strict()
    .prefault({});

  const concurrency = z
    .object({
      /** Most runs in flight per repository; 0 = no limit. */
      perRepo: z.number().int().min(0).max(10_000).default(0),
      /** Most runs in flight overall; 0 = no limit. */
      global: z.number().int().min(0).max(100_000).default(0),
      /** How often the queue is swept for slots freed by lost events (ms). */
      sweepMs: z.number().int().min(50).max(600_000).default(15_000),
    })
    .strict()
    .prefault({});

  const pruning = z
    .object({
      /** Finished PipelineRuns kept per repository and job (or command); 0 = never delete. */
      keep: z.number().int().min(0).max(10_000).default(10),
    })
    .strict()
    .prefault({});

  const logs = z
    .object({
      /** Bytes kept per step; a longer log keeps its head and tail around a truncation marker. */
      maxStepBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
      /** Days archived logs stay in Redis. */
      retentionDays: z.number().int().min(1).max(365).default(30),
      /** Hours a signed log link stays valid, counted from the run's creation. */
      linkTtlHours: z.number().int().min(1).max(24 * 365).default(168),
    })
    .strict()
    .prefault({});

  return { job, trust, concurrency, pruning, logs, jobs: z.array(job).default([]) };
}

export type JobConfig = import("../config/config-schema.js").MarioConfig["jobs"][number];
