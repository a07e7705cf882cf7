import type { Api, Metrics } from "./metrics.js";

/**
 * Wraps every method of a port (GitHubPort, TektonPort) so each call is counted and timed by service, method and
 * outcome. `outcomeOf` names a failure (an HTTP status, "timeout"…); `onError` may add to it (a rate limit).
 */
export function observePort<P extends object>(
  port: P,
  metrics: Metrics,
  service: Api,
  outcomeOf: (error: unknown) => string,
  onError?: (outcome: string, error: unknown) => void,
): P {
  const wrap =
    (operation: string, call: (...args: unknown[]) => Promise<unknown>) =>
    async (...args: unknown[]): Promise<unknown> => {
      const start = performance.now();
      try {
        const result = await call(...args);
        metrics.apiCall(service, operation, "ok", (performance.now() - start) / 1000);
        return result;
      } catch (error) {
        const outcome = outcomeOf(error);
        metrics.apiCall(service, operation, outcome, (performance.now() - start) / 1000);
        onError?.(outcome, error);
        throw error;
      }
    };
  return Object.fromEntries(Object.entries(port).map(([name, fn]) => [name, wrap(name, (fn as (...a: unknown[]) => Promise<unknown>).bind(port))])) as P;
}
