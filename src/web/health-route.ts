import type { Redis } from "ioredis";
import type { TektonPort } from "../kube/tekton-port.js";
import { getRoute, send, type Route } from "./http-server.js";
import { within } from "./within.js";

export interface HealthDeps {
  redis: Redis;
  tekton: TektonPort;
  /** True once shutdown began: readiness fails first, so load balancers stop sending before the server closes. */
  draining?: () => boolean;
  /**
   * Whether a Kubernetes API outage makes this process unready (default true). A web-only process answers false:
   * it needs only Redis to take webhooks, and taking it out of service during an API outage would lose them.
   */
  requireKube?: boolean;
}

/** `GET /healthz`: the process answers. `GET /readyz`: Redis and the Kubernetes API answer too. */
export function healthRoute(deps: HealthDeps): Route {
  return getRoute(/^\/(healthz|readyz)$/, async (m, _req, res) => {
    if (m[1] === "healthz") return send(res, 200, "text/plain; charset=utf-8", "ok\n");
    if (deps.draining?.()) return send(res, 503, "text/plain; charset=utf-8", "shutting down\n");
    const checks = await Promise.all([
      within(deps.redis.ping()).then(() => "redis: ok", (e: Error) => `redis: ${e.message}`),
      within(deps.tekton.ping()).then(() => "kubernetes: ok", (e: Error) => `kubernetes: ${e.message}`),
    ]);
    const required = deps.requireKube === false ? checks.filter((c) => c.startsWith("redis:")) : checks;
    const ok = required.every((c) => c.endsWith(": ok"));
    send(res, ok ? 200 : 503, "text/plain; charset=utf-8", `${checks.join("\n")}\n`);
  });
}
