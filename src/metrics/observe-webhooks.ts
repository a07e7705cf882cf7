import { withLogContext } from "../log-context.js";
import type { Route } from "../web/http-server.js";
import type { Metrics } from "./metrics.js";

function outcomeOf(status: number): string {
  if (status >= 200 && status < 300) return "accepted";
  if (status >= 400 && status < 500) return "rejected";
  return "error";
}

/**
 * Wraps the webhook route: counts each delivery it answers by event and outcome (accepted, rejected: bad signature
 * or body, error), and runs it with its `X-GitHub-Delivery` id on every log line (the job carries it on).
 */
export function observeWebhooks(route: Route, metrics: Metrics, log: { info(o: object, m: string): void }): Route {
  return (req, res) => {
    const delivery = req.headers["x-github-delivery"];
    const event = req.headers["x-github-event"];
    if (typeof delivery !== "string" || typeof event !== "string") return route(req, res);
    const start = performance.now();
    return withLogContext({ delivery, event }, async () => {
      const answered = await route(req, res);
      if (answered) {
        const done = () => {
          metrics.webhook(/^[a-z_]{1,64}$/.test(event) ? event : "other", outcomeOf(res.statusCode));
          log.info({ delivery, event, status: res.statusCode, ms: Math.round(performance.now() - start) }, "webhook answered");
        };
        if (res.writableFinished) done();
        else res.once("finish", done);
      }
      return answered;
    });
  };
}
