import type { PoolStore } from "../merge-queue/pool-store.js";
import { poolId } from "../merge-queue/pool-types.js";
import { getRoute, send, type Route } from "./http-server.js";

/**
 * Whether a pool may be shown on mario's public pages: pools of private repositories are not (the same rule as the
 * run list); a hidden pool answers like an unknown one, so its existence does not leak either.
 */
export type PoolVisibility = (poolId: string) => Promise<boolean>;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * `GET /api/queue`: every pool with its line, what each waiting PR is missing and the runs in flight.
 * `GET /api/queue/<org>/<repo>/<branch>`: one pool, plus its history (newest first).
 */
export function queueApiRoutes(store: PoolStore, visible: PoolVisibility = async () => true): Route[] {
  return [
    getRoute(/^\/api\/queue\/?$/, async (_m, _req, res) => {
      const pools = [];
      for (const id of await store.pools()) {
        const view = await store.view(id);
        if (view && (await visible(id))) pools.push(view);
      }
      send(res, 200, "application/json; charset=utf-8", json({ pools }));
    }),
    getRoute(/^\/api\/queue\/([^/]+)\/([^/]+)\/(.+)$/, async (m, _req, res) => {
      const [owner, repo, branch] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
      const pool = { owner, repo, branch };
      const id = poolId(pool);
      const view = (await visible(id)) ? await store.view(id) : undefined;
      if (!view) return send(res, 404, "application/json; charset=utf-8", json({ message: `no merge pool ${id}` }));
      send(res, 200, "application/json; charset=utf-8", json({ ...view, history: await store.history(pool, 200) }));
    }),
  ];
}
