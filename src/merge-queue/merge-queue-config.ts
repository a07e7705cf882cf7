import { z } from "zod";

/** Label names mario manages; every one is configurable so a repository can keep Prow's names or its own. */
export const reviewLabelsSchema = z
  .object({
    lgtm: z.string().min(1).default("lgtm"),
    approved: z.string().min(1).default("approved"),
    hold: z.string().min(1).default("do-not-merge/hold"),
    needsRebase: z.string().min(1).default("needs-rebase"),
  })
  .strict()
  .prefault({});

type ReviewLabels = z.infer<typeof reviewLabelsSchema>;
const defaultLabels: ReviewLabels = reviewLabelsSchema.parse({});
const requiredFrom = (l: ReviewLabels) => [l.lgtm, l.approved];
const blockingFrom = (l: ReviewLabels) => [l.hold, "do-not-merge/work-in-progress", l.needsRebase];

/**
 * Runs before the config is validated: `mergeQueue.requiredLabels` and `blockingLabels` default to the names in
 * `review.labels`, so a renamed label (say a custom hold label) also keeps PRs out of the queue. Values written
 * in the config win; anything malformed is left for validation to report.
 */
export function withQueueLabelDefaults(raw: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(raw)) return raw;
  const given = isObject(raw.review) && isObject(raw.review.labels) ? raw.review.labels : {};
  const pick = (key: keyof ReviewLabels) => (typeof given[key] === "string" && given[key] !== "" ? given[key] : defaultLabels[key]);
  const labels: ReviewLabels = { lgtm: pick("lgtm"), approved: pick("approved"), hold: pick("hold"), needsRebase: pick("needsRebase") };
  const queue = raw.mergeQueue ?? {};
  if (!isObject(queue)) return raw;
  return { ...raw, mergeQueue: { requiredLabels: requiredFrom(labels), blockingLabels: blockingFrom(labels), ...queue } };
}

/** `/lgtm`, `/approve`, `/hold` and OWNERS. */
export const reviewSchema = z
  .object({
    labels: reviewLabelsSchema,
    /** An approving review acts as `/lgtm` (and `/approve` for OWNERS approvers); "request changes" cancels them. */
    reviewsCount: z.boolean().default(true),
    /** The PR author's own `/approve` counts for the files they own (Prow's default). */
    authorCanApprove: z.boolean().default(true),
    /** Name of the OWNERS files, read from the base branch. */
    ownersFile: z.string().min(1).default("OWNERS"),
  })
  .strict()
  .prefault({});

const mergeMethod = z.enum(["merge", "squash", "rebase"]);

const durationUnits = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const freshnessSchema = z.union([
  z.enum(["current-base", "any-base"]),
  z.string().regex(/^[1-9]\d*[mhd]$/, 'must be "current-base", "any-base" or a duration such as 30m, 24h or 7d'),
]);

/** How old a base a lone PR's own results may have run on: 0 = the current base only, Infinity = any base. */
export function freshnessWindowMs(freshness: string): number {
  if (freshness === "current-base") return 0;
  if (freshness === "any-base") return Number.POSITIVE_INFINITY;
  return Number(freshness.slice(0, -1)) * durationUnits[freshness.slice(-1) as keyof typeof durationUnits];
}

/** The merge queue (one pool per org/repo:branch). */
export const mergeQueueSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Base branches with a pool; empty means every branch PRs target. */
    branches: z.array(z.string().min(1)).default([]),
    /** Default: `review.labels` lgtm and approved (see withQueueLabelDefaults). */
    requiredLabels: z.array(z.string().min(1)).default(requiredFrom(defaultLabels)),
    /** Default: `review.labels` hold and needsRebase, and do-not-merge/work-in-progress. */
    blockingLabels: z.array(z.string().min(1)).default(blockingFrom(defaultLabels)),
    /** Status contexts or check run names that must be green on the PR head (CI-agnostic, as Tide). */
    requiredChecks: z.array(z.string().min(1)).default([]),
    /** Also require the contexts the base branch's protection requires. */
    fromBranchProtection: z.boolean().default(false),
    /**
     * A lone PR merges without a retest when its checks ran on the current base (`current-base`, Tide's rule), on
     * any base (`any-base`), or on a base that was the branch head within a duration (`24h`, `30m`, `7d`).
     */
    freshness: freshnessSchema.default("current-base"),
    method: mergeMethod.default("merge"),
    /** A PR carrying one of these labels is merged with that method instead. */
    methodLabels: z
      .object({ merge: z.string().default("merge-method/merge"), squash: z.string().default("merge-method/squash"), rebase: z.string().default("merge-method/rebase") })
      .strict()
      .prefault({}),
    /** Commit title/body templates: {{pr.number}}, {{pr.title}}, {{pr.author}}, {{pr.headRef}}, {{pr.body}}. */
    commitTitle: z.string().optional(),
    commitBody: z.string().optional(),
    /** PRs with these labels jump ahead; earlier in the list = higher priority. */
    priorityLabels: z.array(z.string().min(1)).default([]),
    /** Most CI runs (staging commits) the queue keeps in flight per pool: C. */
    maxInFlight: z.number().int().min(1).max(64).default(8),
    maxBatchSize: z.number().int().min(1).max(64).default(8),
    /** Exact positions are shown in the status for the first N PRs; later ones say "more than N ahead". */
    statusPositions: z.number().int().min(1).max(100).default(5),
    /** Slow repair loop: lists open PRs of every known pool. 0 turns it off. */
    reconcileMinutes: z.number().min(0).max(1440).default(10),
    /** A staging run without a result after this long counts as failed (its batch is split, as for a failure). */
    ciTimeoutMinutes: z.number().min(1).max(24 * 60).default(120),
    mergeRetries: z.number().int().min(0).max(10).default(3),
    mergeRetryBaseMs: z.number().int().min(0).max(60_000).default(4000),
    historySize: z.number().int().min(10).max(100_000).default(1000),
  })
  .strict()
  .prefault({});

export type ReviewConfig = z.infer<typeof reviewSchema>;
export type MergeQueueConfig = z.infer<typeof mergeQueueSchema>;
export type MergeMethod = z.infer<typeof mergeMethod>;
