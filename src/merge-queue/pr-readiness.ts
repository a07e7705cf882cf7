import type { ContextResult, PullRequestInfo } from "../github/github-port.js";
import { freshnessWindowMs, type MergeQueueConfig } from "./merge-queue-config.js";
import type { Refusal } from "./pool-store.js";
import type { PoolState } from "./pool-types.js";

/** What stands between a PR and the queue: the one next thing, as its status says it. */
export interface Readiness {
  ready: boolean;
  /** Its required checks passed on the current base (Tide's ` BaseSHA:` rule): it may merge alone untested. */
  fresh: boolean;
  state: "pending" | "success" | "failure" | "error";
  description: string;
  url?: string;
}

const plural = (names: string[]) => `${names.join(", ")} label${names.length > 1 ? "s" : ""}`;

export function evaluatePr(
  pr: PullRequestInfo,
  config: MergeQueueConfig & { needsRebaseLabel: string },
  required: string[],
  contexts: ContextResult[],
  state: PoolState,
  baseSha: string,
  extra: { now: number; refusal?: Refusal } = { now: 0 },
): Readiness {
  const has = (name: string) => pr.labels.some((l) => l.toLowerCase() === name.toLowerCase());
  const wait = (description: string, s: Readiness["state"] = "pending", url?: string): Readiness => ({ ready: false, fresh: false, state: s, description, url });
  if (pr.draft) return wait("Draft: mark it ready for review to enter the merge queue");
  // GitHub's own mergeability (false = conflicts with the base) keeps it out of batches before mario tries it.
  if (has(config.needsRebaseLabel) || pr.mergeable === false) return wait("Merge conflict: rebase needed", "error");
  const missing = config.requiredLabels.filter((l) => !has(l));
  if (missing.length > 0) return wait(`Needs ${plural(missing)}`);
  const blocking = config.blockingLabels.filter(has);
  if (blocking.length > 0) return wait(`Should not have ${plural(blocking)}`);
  const methods = Object.values(config.methodLabels).filter(has);
  if (methods.length > 1) return wait(`Has ${methods.length} merge-method labels (${methods.join(", ")}); keep one`);
  const failedHere = state.failed[String(pr.number)];
  if (failedHere && failedHere.sha === pr.head.sha) return wait(`Job ${failedHere.context} failed in the merge queue; push a fix`, "failure", failedHere.url);
  if (extra.refusal && extra.refusal.sha === pr.head.sha) return wait(`GitHub refused to merge it: ${extra.refusal.message}`, "error");

  const byName = new Map(contexts.map((c) => [c.context, c]));
  const results = required.map((name) => ({ name, result: byName.get(name) }));
  const failed = results.find((r) => r.result?.state === "failure");
  if (failed) return wait(`Job ${failed.name} failed`, "failure", failed.result?.url);
  const notYet = results.filter((r) => r.result?.state !== "success").map((r) => r.name);
  if (notYet.length > 0) return wait(notYet.length > 3 ? `Waiting for ${notYet.length} jobs: ${notYet.slice(0, 3).join(", ")}…` : `Waiting for job${notYet.length > 1 ? "s" : ""} ${notYet.join(", ")}`);
  const window = freshnessWindowMs(config.freshness);
  const fresh = window === Number.POSITIVE_INFINITY || results.every((r) => ranOnRecentBase(r.result?.description ?? "", baseSha, state.baseHeads, extra.now - window));
  return { ready: true, fresh, state: "success", description: "In merge queue" };
}

/** Tide's ` BaseSHA:<sha>` suffix names the base a result ran on: the current one, or one that was head since `since`. */
function ranOnRecentBase(description: string, baseSha: string, formerHeads: Record<string, number>, since: number): boolean {
  const sha = / BaseSHA:([0-9a-f]{40})$/.exec(description)?.[1];
  if (!sha) return false;
  return sha === baseSha || (formerHeads[sha] ?? Number.NEGATIVE_INFINITY) >= since;
}

/** A context's result on a staging commit: passed when every required one succeeded, failed at the first failure. */
export function runOutcome(required: string[], contexts: ContextResult[]): { state: "pending" | "passed" | "failed"; failure?: ContextResult; waitingFor: string[] } {
  const byName = new Map(contexts.map((c) => [c.context, c]));
  const failure = required.map((n) => byName.get(n)).find((c) => c?.state === "failure");
  if (failure) return { state: "failed", failure, waitingFor: [] };
  const waitingFor = required.filter((n) => byName.get(n)?.state !== "success");
  return { state: waitingFor.length === 0 ? "passed" : "pending", waitingFor };
}

/** A status description GitHub accepts (at most 140 characters). */
export const statusText = (text: string) => (text.length <= 140 ? text : `${text.slice(0, 139)}…`);
