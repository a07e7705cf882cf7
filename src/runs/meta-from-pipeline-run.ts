import { annotations, labels } from "../kube/labels.js";
import type { PipelineRun } from "../kube/tekton-types.js";
import { isHttpUrl } from "../text/http-url.js";
import type { RunMeta } from "./run-record.js";
import type { RunSignature } from "./run-signature.js";

/**
 * Rebuilds a run's record from the labels and annotations mario put on the PipelineRun, so a Redis that lost
 * its data (or a new one) still reports on runs already in the cluster. Undefined for runs mario did not create:
 * the label alone proves nothing (anyone who may create runs can set it), mario's signature does.
 */
export function metaFromPipelineRun(run: PipelineRun, signature: Pick<RunSignature, "verify">): RunMeta | undefined {
  const l = run.metadata.labels ?? {};
  const a = run.metadata.annotations ?? {};
  const [owner, name] = (a[annotations.repo] ?? "").split("/");
  const installationId = Number(a[annotations.installationId]);
  const pr = Number(l[labels.pr]);
  if (l[labels.managedBy] !== "mario" || !owner || !name || !Number.isInteger(installationId) || !Number.isInteger(pr)) return undefined;
  if (!signature.verify(run)) return undefined;
  const prUrl = a[annotations.prUrl] ?? "";
  const verb = l[labels.command] ?? "run";
  const kindLabel = l[labels.kind];
  const kind: RunMeta["kind"] = kindLabel === "job" || kindLabel === "periodic" || kindLabel === "staging" ? kindLabel : undefined;
  return {
    namespace: run.metadata.namespace ?? "",
    name: run.metadata.name,
    installationId,
    repo: { owner, name },
    pr,
    prUrl: isHttpUrl(prUrl) ? prUrl : "", // it becomes a link on pages and in Slack
    headSha: l[labels.headSha] ?? "",
    verb,
    commandLine: a[annotations.commandLine] ?? `/${verb}`,
    requester: a[annotations.requester] ?? "unknown",
    checkName: a[annotations.checkName] ?? `mario/${verb}`,
    createdAt: run.metadata.creationTimestamp ?? new Date().toISOString(),
    rebuilt: true,
    // A job run comes back as a job run: reported by its check run (or status), never with a PR comment.
    ...(kind ? { kind, job: l[labels.job] ?? verb, ...(a[annotations.branch] ? { branch: a[annotations.branch] } : {}) } : {}),
  };
}
