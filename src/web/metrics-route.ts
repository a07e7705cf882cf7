import type { Metrics } from "../metrics/metrics.js";
import { getRoute, send, type Route } from "./http-server.js";

/** `GET /metrics`: Prometheus text exposition of this process's instruments. */
export function metricsRoute(metrics: Metrics): Route {
  return getRoute(/^\/metrics$/, async (_m, _req, res) => {
    send(res, 200, metrics.registry.contentType, await metrics.registry.metrics());
  });
}
