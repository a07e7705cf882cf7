import { createHmac, timingSafeEqual } from "node:crypto";
import { annotations, labels } from "../kube/labels.js";
import type { TektonPort } from "../kube/tekton-port.js";
import type { PipelineRun } from "../kube/tekton-types.js";

/**
 * Anyone who may create PipelineRuns in a watched namespace can label one `managed-by=mario` and name any
 * repository, PR and installation in its annotations. mario signs what it writes when it creates a run, and
 * trusts a run it has no record of (a record rebuilt from the cluster) only when the signature verifies.
 */
export interface RunSignature {
  /** A copy of the run, with the signature of its namespace, name and identifying labels and annotations. */
  sign(run: PipelineRun): PipelineRun;
  /** Whether the run carries mario's signature; a run that does not is logged once. */
  verify(run: PipelineRun): boolean;
}

/**
 * What a v1 signature covers, frozen in this order: the labels and annotations mario identified a run by when v1
 * was made. Runs signed then stay in the cluster, so a label or annotation added later is not covered (adding it
 * here would make every existing run fail to verify); to cover one, sign a v2 payload and keep verifying v1.
 */
const v1SignedLabels = [labels.managedBy, labels.owner, labels.repo, labels.pr, labels.command, labels.headSha, labels.kind, labels.job];
const v1SignedAnnotations = [
  annotations.repo,
  annotations.requester,
  annotations.commandLine,
  annotations.prUrl,
  annotations.installationId,
  annotations.checkName,
  annotations.branch,
  annotations.tick,
];
/** Runs already logged as unsigned; bounded, so a flood of forged runs cannot grow it without end. */
const maxRemembered = 10_000;

export function runSignature(key: string, log?: { warn(o: object, m: string): void }): RunSignature {
  const mac = (run: PipelineRun) => {
    const { namespace = "", name, labels: l = {}, annotations: a = {} } = run.metadata;
    const payload = JSON.stringify(["mario run v1", namespace, name, ...v1SignedLabels.map((k) => l[k] ?? null), ...v1SignedAnnotations.map((k) => a[k] ?? null)]);
    return createHmac("sha256", key).update(payload).digest("base64url");
  };
  const logged = new Set<string>();
  return {
    sign(run) {
      return { ...run, metadata: { ...run.metadata, annotations: { ...run.metadata.annotations, [annotations.signature]: mac(run) } } };
    },
    verify(run) {
      const given = Buffer.from(run.metadata.annotations?.[annotations.signature] ?? "");
      const expected = Buffer.from(mac(run));
      if (given.length === expected.length && timingSafeEqual(given, expected)) return true;
      const id = `${run.metadata.namespace ?? ""}/${run.metadata.name}`;
      if (!logged.has(id)) {
        if (logged.size >= maxRemembered) logged.clear();
        logged.add(id);
        log?.warn({ run: id }, "ignoring a PipelineRun labelled managed-by=mario that mario did not sign (created by someone else, or with another MARIO_LOG_LINK_KEY); nothing is reported for it");
      }
      return false;
    },
  };
}

/** The signing key: derived from the log-link key (MARIO_LOG_LINK_KEY, else the webhook secret), for this use only. */
export function runSignatureKey(logLinkKey: string): string {
  return createHmac("sha256", logLinkKey).update("mario run metadata v1").digest("hex");
}

/** A TektonPort that signs every PipelineRun it creates: runs are created through it, and only through it. */
export function signingTekton(tekton: TektonPort, signature: Pick<RunSignature, "sign">): TektonPort {
  return { ...tekton, createPipelineRun: (namespace, run) => tekton.createPipelineRun(namespace, signature.sign(run)) };
}
