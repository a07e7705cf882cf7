import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * The reads the merge queue repeats on every reconcile, whatever changed: asked with the ETag of the last answer,
 * so an unchanged one comes back as 304 Not Modified, which GitHub does not count against the rate limit.
 */
const conditionalRoutes = new Set([
  "GET /repos/{owner}/{repo}/pulls",
  "GET /repos/{owner}/{repo}/branches/{branch}",
  "GET /repos/{owner}/{repo}/commits/{ref}/status",
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs",
]);

/** How long a remembered answer is kept: several reconcile periods, so an idle pool's reads stay conditional. */
const keepSeconds = 3600;

type Options = { method: string; url: string; headers?: Record<string, unknown> } & Record<string, unknown>;
type Response = { status: number; url: string; headers: Record<string, unknown>; data: unknown };
interface HookableOctokit {
  hook: { wrap(name: "request", fn: (request: (o: Options) => Promise<Response>, options: Options) => Promise<Response>): void };
  request: { endpoint: { parse(o: Options): { url: string } } };
}

/**
 * Makes the installation's client send conditional requests for `conditionalRoutes`: the last ETag and body of
 * each URL are kept in Redis (shared by every replica, under `keyPrefix`, which names the installation), and a
 * 304 is answered from them as the 200 it stands for.
 */
export function conditionalGets(octokit: unknown, redis: Redis, keyPrefix: string): void {
  const o = octokit as HookableOctokit;
  o.hook.wrap("request", async (request, options) => {
    if (!conditionalRoutes.has(`${options.method} ${options.url}`)) return request(options);
    const url = o.request.endpoint.parse(options).url;
    const key = `${keyPrefix}${createHash("sha1").update(url).digest("hex")}`;
    // While Redis is unreachable this waits for it, as every command on mario's connection does (ioredis with
    // `maxRetriesPerRequest: null`); only an error Redis answers, or a closed connection, makes it unconditional.
    const raw = await redis.get(key).catch(() => null);
    const known = raw ? (JSON.parse(raw) as { etag: string; data: unknown }) : undefined;
    try {
      // Changed in place: the hooks inside this one were bound to this very options object (before-after-hook).
      if (known) options.headers = { ...options.headers, "if-none-match": known.etag };
      const response = await request(options);
      const etag = response.headers.etag;
      if (typeof etag === "string") await redis.set(key, JSON.stringify({ etag, data: response.data }), "EX", keepSeconds).catch(() => undefined);
      return response;
    } catch (error) {
      const e = error as { status?: number; response?: { headers?: Record<string, unknown> } };
      if (known && e.status === 304) return { status: 200, url, headers: e.response?.headers ?? {}, data: known.data };
      throw error;
    }
  });
}
