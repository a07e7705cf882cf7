/** Classifies errors from @kubernetes/client-node (ApiException, fetch failures, our own timeouts). */

export function kubeStatusCode(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === "number") return e.code;
  if (typeof e.statusCode === "number") return e.statusCode;
  return undefined;
}

/** Worth retrying: the API server is down, slow, overloaded or rate limiting. */
export function isRetryableKubeError(error: unknown): boolean {
  const code = kubeStatusCode(error);
  if (code === undefined) return true; // network errors, timeouts
  return code === 429 || code >= 500;
}

export function describeKubeError(error: unknown): string {
  const code = kubeStatusCode(error);
  if (code !== undefined) {
    const body = (error as { body?: unknown }).body;
    const message = typeof body === "string" ? safeMessage(body) : (body as { message?: string } | undefined)?.message;
    return `Kubernetes API answered ${code}${message ? `: ${message}` : ""}`;
  }
  const cause = (error as { cause?: { code?: string } })?.cause?.code;
  return `Kubernetes API unreachable: ${cause ?? (error as Error)?.message ?? String(error)}`;
}

function safeMessage(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { message?: string }).message;
  } catch {
    return body.slice(0, 200) || undefined;
  }
}

export class KubeTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} timed out after ${ms} ms`);
    this.name = "KubeTimeoutError";
  }
}
