import type { IncomingMessage, ServerResponse } from "node:http";
import type { Redis } from "ioredis";
import { html, page } from "./html.js";
import { send, type Route } from "./http-server.js";
import { within } from "./within.js";

/** How many times a slow page is given another `ms` while Redis still answers (a slow Kubernetes API, say). */
const maxWaits = 30;

/** Whether Redis answers a PING in time (it is not reconnecting, nor silently gone). */
async function redisAnswers(redis: Pick<Redis, "status" | "ping">, ms: number): Promise<boolean> {
  if (redis.status !== "ready") return false;
  return within(redis.ping(), ms).then(
    () => true,
    () => false,
  );
}

/** The 503 answer of a page (HTML) or an API or logs.json address (JSON) while Redis does not answer. */
export function sendRedisUnavailable(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? "/", "http://mario").pathname;
  const why = "mario keeps its runs and the merge queue in Redis, and Redis is not answering right now";
  if (path.startsWith("/api/") || path.endsWith(".json")) {
    return send(res, 503, "application/json; charset=utf-8", `${JSON.stringify({ message: `Redis is unreachable: ${why}. Try again in a moment.` })}\n`);
  }
  const body = html`<h1>Redis is unreachable</h1>
<p class="note">${why}. This page comes back by itself when Redis does; nothing you asked for before is lost. Reload in a moment.</p>
<p class="note">Operators: <a href="/readyz">/readyz</a> says what mario cannot reach.</p>`;
  send(res, 503, "text/html; charset=utf-8", page("Redis is unreachable", body));
}

/**
 * Bounds a page's reads while Redis is away. mario's Redis connection queues commands until it reconnects
 * (`maxRetriesPerRequest: null`, so no acknowledged work is dropped), which would hold a page open as long as
 * the outage lasts. A page that has not answered after `ms` (at once when the connection is known to be down),
 * or that failed, gets the 503 page if Redis does not answer a PING either; a page slow for another reason keeps
 * its time. The abandoned request finishes, unseen, when Redis is back.
 */
export function boundByRedis(redis: Pick<Redis, "status" | "ping">, route: Route, ms = 2000): Route {
  return async (req, res) => {
    const answer = Promise.resolve(route(req, res));
    const settled = answer.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    for (let i = 0; i < maxWaits; i++) {
      let timer: NodeJS.Timeout | undefined;
      // Routes that do not match answer false at once; when Redis is known to be down, there is no point waiting.
      const wait = i === 0 && redis.status !== "ready" ? 50 : ms;
      const outcome = await Promise.race([settled, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), wait)))]);
      clearTimeout(timer);
      if (outcome && "value" in outcome) return outcome.value;
      if (res.headersSent) return answer;
      if (await redisAnswers(redis, ms)) {
        if (outcome) throw outcome.error; // a failure that is not Redis's: the server's 500
        continue;
      }
      sendRedisUnavailable(req, res);
      return true;
    }
    return answer;
  };
}
