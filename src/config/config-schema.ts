import { z } from "zod";
import { permissionLevels } from "../github/permission.js";
import { lifecycleSchemas } from "../jobs/jobs-config.js";
import { slackConfigSchema } from "../slack/slack-config.js";
import { mergeQueueSchema, reviewSchema, withQueueLabelDefaults } from "../merge-queue/merge-queue-config.js";

/**
 * The schema of `config/mario.yaml`. Structural checks live here; checks that need the whole
 * document (templates referring to declared arguments, defaults matching patterns) are in
 * `check-config.ts`, so every error can name its path.
 */

const dns1123Label = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label (lower-case letters, digits, '-')")
  .max(63);

/** Go durations as Tekton accepts them: `1h`, `30m`, `1h30m`, `90s`, or "0" for no timeout. */
const goDuration = z
  .string()
  .regex(/^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$/, 'must be a Go duration such as "1h", "30m" or "0"');

const regexSource = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source, "u");
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `is not a valid regular expression: ${(error as Error).message}` });
    return;
  }
  // An unanchored pattern would accept `good; rm -rf /` because it contains `good`.
  if (!source.startsWith("^") || !source.endsWith("$")) {
    ctx.addIssue({ code: "custom", message: "must be anchored with ^ and $ so that the whole value is checked" });
  }
});

export const argSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_-]*$/, "must be lower-case letters, digits, '_' or '-'"),
    description: z.string().min(1),
    /** Positional arguments are bare words in order (`/build image`); the others are `key=value`. */
    positional: z.boolean().default(false),
    pattern: regexSource,
    required: z.boolean().default(false),
    /** May use templates such as `pr-{{pr.number}}`; the rendered value must still match `pattern`. */
    default: z.string().optional(),
  })
  .strict();

const paramValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const pipelineRefSchema = z.union([
  z.object({ name: dns1123Label.or(z.string().regex(/^[a-z0-9][-a-z0-9.]*$/)) }).strict(),
  z
    .object({
      resolver: z.enum(["git", "bundles", "hub", "cluster", "http"]),
      params: z.record(z.string(), paramValue),
    })
    .strict(),
]);

const timeoutsSchema = z
  .object({ pipeline: goDuration.optional(), tasks: goDuration.optional(), finally: goDuration.optional() })
  .strict();

/** A workspace binding is passed to Tekton as written (volumeClaimTemplate, secret, configMap, emptyDir…). */
const workspaceSchema = z
  .object({ name: z.string().min(1) })
  .catchall(z.unknown())
  .refine((w) => Object.keys(w).length > 1, { message: "needs a volume source such as volumeClaimTemplate or secret" });

export const pipelineSchema = z
  .object({
    pipelineRef: pipelineRefSchema,
    namespace: dns1123Label.optional(),
    serviceAccount: z.string().min(1).optional(),
    /** Tekton params; values are templates. */
    params: z.record(z.string(), z.string()).default({}),
    workspaces: z.array(workspaceSchema).default([]),
    timeouts: timeoutsSchema.optional(),
    /** Name of the check run on the PR head; defaults to `mario/<verb>`. */
    checkName: z.string().min(1).max(100).optional(),
  })
  .strict();

export const commandSchema = z
  .object({
    description: z.string().min(1),
    /** Lowest GitHub repository permission allowed to run it. */
    permission: z.enum(permissionLevels).default("write"),
    examples: z.array(z.string()).default([]),
    args: z.array(argSchema).default([]),
    pipeline: pipelineSchema,
  })
  .strict();

const lifecycle = lifecycleSchemas(pipelineSchema);

export const configSchema = z.preprocess(
  withQueueLabelDefaults,
  z.object({
    defaults: z
      .object({
        namespace: dns1123Label.default("mario"),
        serviceAccount: z.string().min(1).optional(),
        timeouts: timeoutsSchema.optional(),
      })
      .strict()
      .prefault({}),
    limits: z
      .object({
        maxCommentBytes: z.number().int().min(1024).max(1024 * 1024).default(64 * 1024),
        maxCommandsPerComment: z.number().int().min(1).max(100).default(20),
        maxArgLength: z.number().int().min(8).max(4096).default(256),
        maxArgsPerCommand: z.number().int().min(1).max(100).default(16),
      })
      .strict()
      .prefault({}),
    /** Verbs other bots own (Prow's `/assign`, `/cc`…): mario neither runs nor answers them. */
    ignoreVerbs: z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/)).default([]),
    /** Seconds a user's repository permission is cached. */
    permissionCacheSeconds: z.number().int().min(0).max(3600).default(60),
    commands: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, "command verbs are lower-case words"), commandSchema).default({}),
    /** Presubmit and periodic jobs, trust, concurrency, pruning and log retention (src/jobs/jobs-config.ts). */
    jobs: lifecycle.jobs,
    trust: lifecycle.trust,
    concurrency: lifecycle.concurrency,
    pruning: lifecycle.pruning,
    logs: lifecycle.logs,
    /** Slack identities, channel bindings and notifications (src/slack). */
    slack: slackConfigSchema.prefault({}),
    /** `/lgtm`, `/approve`, `/hold` and OWNERS (src/review). */
    review: reviewSchema,
    /** The merge queue (src/merge-queue). */
    mergeQueue: mergeQueueSchema,
  }).strict(),
);

export type ArgConfig = z.infer<typeof argSchema>;
export type PipelineConfig = z.infer<typeof pipelineSchema>;
export type CommandConfig = z.infer<typeof commandSchema>;
export type MarioConfig = z.infer<typeof configSchema>;
