import { createHash } from "node:crypto";

/**
 * Labels and annotations mario puts on every PipelineRun it creates; the watcher and the pruner select on them.
 * One added later is not signed (src/runs/run-signature.ts lists those that are): do not trust it on a rebuilt run.
 */
export const labels = {
  managedBy: "app.kubernetes.io/managed-by",
  owner: "mario.dev/repo-owner",
  repo: "mario.dev/repo-name",
  pr: "mario.dev/pr",
  command: "mario.dev/command",
  headSha: "mario.dev/head-sha",
  /** `job`, `periodic` or `staging` for job runs; absent on command runs. */
  kind: "mario.dev/kind",
  job: "mario.dev/job",
} as const;

export const annotations = {
  repo: "mario.dev/repo",
  requester: "mario.dev/requester",
  commandLine: "mario.dev/command-line",
  prUrl: "mario.dev/pr-url",
  installationId: "mario.dev/installation-id",
  checkName: "mario.dev/check-name",
  branch: "mario.dev/branch",
  /** The schedule tick a periodic run belongs to (ISO time). */
  tick: "mario.dev/tick",
  /** HMAC over the labels and annotations above as of v1 (src/runs/run-signature.ts): proof that mario wrote them. */
  signature: "mario.dev/signature",
} as const;

export const managedBySelector = `${labels.managedBy}=mario`;

/** Kubernetes label values: at most 63 of [A-Za-z0-9-_.], starting and ending alphanumeric. */
export function labelValue(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 63);
  return cleaned.replace(/^[^A-Za-z0-9]+/, "").replace(/[^A-Za-z0-9]+$/, "");
}

/**
 * A deterministic, DNS-safe run name: the same command of the same delivery always maps to the same name,
 * so a retried job gets 409 AlreadyExists instead of a second run. Short enough for Tekton's
 * `tekton.dev/pipelineRun` label on TaskRuns (63 characters).
 */
export function runName(verb: string, pr: number, identity: string): string {
  const hash = createHash("sha256").update(identity).digest("hex").slice(0, 10);
  const word = verb.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 20).replace(/-+$/, "");
  return `mario-${word}-${pr}-${hash}`;
}
