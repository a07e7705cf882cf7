import { kubeStatusCode } from "../kube/kube-errors.js";
import type { TektonPort } from "../kube/tekton-port.js";
import type { Metrics } from "./metrics.js";
import { observePort } from "./observe-port.js";

function outcomeOf(error: unknown): string {
  const code = kubeStatusCode(error);
  if (code !== undefined) return String(code);
  return (error as Error)?.name === "KubeTimeoutError" ? "timeout" : "unreachable";
}

/** Retry-After of a 429 (seconds), from the client's ApiException headers. */
function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { headers?: Record<string, string | undefined> })?.headers;
  const value = Number(headers?.["retry-after"] ?? headers?.["Retry-After"]);
  return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
}

/**
 * Counts and times every TektonPort call by method and outcome (ok, an HTTP status, timeout, unreachable). A 429
 * is counted in `mario_rate_limited_total`, and its Retry-After is put on the error as `retryAfterMs`, which the
 * job retry policy honours (the error travels as the `cause` of the job's retry).
 */
export function observeTekton(port: TektonPort, metrics: Metrics): TektonPort {
  return observePort(port, metrics, "kubernetes", outcomeOf, (outcome, error) => {
    if (outcome !== "429") return;
    metrics.rateLimited("kubernetes");
    const wait = retryAfterMs(error);
    if (wait !== undefined && typeof error === "object" && error !== null) Object.assign(error, { retryAfterMs: wait });
  });
}
