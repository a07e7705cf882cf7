import type { MarioConfig } from "../config/config-schema.js";
import { commitTemplateVariables, unknownTemplateVariables } from "./merge-pr.js";

/** Merge-queue settings that contradict each other. */
export function checkMergeQueue(config: MarioConfig): string[] {
  const q = config.mergeQueue;
  const problems: string[] = [];
  const lower = (l: string) => l.toLowerCase();
  for (const label of q.requiredLabels) {
    if (q.blockingLabels.map(lower).includes(lower(label))) problems.push(`mergeQueue.requiredLabels: "${label}" is also a blocking label, so no PR could ever merge`);
  }
  const methods = Object.values(q.methodLabels).map(lower);
  if (new Set(methods).size !== methods.length) problems.push("mergeQueue.methodLabels: each merge method needs its own label");
  if (q.commitTitle !== undefined && q.commitTitle.trim() === "") problems.push("mergeQueue.commitTitle: must not be blank");
  for (const field of ["commitTitle", "commitBody"] as const) {
    const unknown = unknownTemplateVariables(q[field] ?? "");
    if (unknown.length > 0) problems.push(`mergeQueue.${field}: unknown variable${unknown.length > 1 ? "s" : ""} ${unknown.map((u) => `{{${u}}}`).join(", ")}; known: ${commitTemplateVariables.map((v) => `{{${v}}}`).join(", ")}`);
  }
  return problems;
}
