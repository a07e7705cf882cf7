import type { Redis } from "ioredis";
import type { TektonPort } from "../kube/tekton-port.js";
import { getRoute, send, type Route } from "./http-server.js";

/** `GET /healthz`: the process answers. `GET /readyz`: Redis and the Kubernetes API answer too. */
export function healthRoute(deps: { redis: Redis; tekton: TektonPort }): Route {
  return getRoute(/^\/(healthz|readyz)$/, async (m, _req, res) => {
    if (m[1] === "healthz") return send(res, 200, "text/plain; charset=utf-8", "ok\n");
    const checks = await Promise.all([
      deps.redis.ping().then(() => "redis: ok", (e: Error) => `redis: ${e.message}`),
      deps.tekton.ping().then(() => "kubernetes: ok", (e: Error) => `kubernetes: ${e.message}`),
    ]);
    const ok = checks.every((c) => c.endsWith(": ok"));
    send(res, ok ? 200 : 503, "text/plain; charset=utf-8", `${checks.join("\n")}\n`);
  });
}
