// npm run bench:queue — mario's merge queue against a serial queue and Tide's strategy on the same PR streams.
//
// For p in {0.02, 0.1, 0.25} and C = 8: the real queue driver and planners, real Redis, the fake GitHub (HTTP on
// loopback, every request counted), simulated CI of duration T in simulated time. See bench/queue-sim.ts.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { planMario } from "../src/merge-queue/plan-pool.js";
import type { Planner } from "../src/merge-queue/pool-types.js";
import { startFakeGitHub } from "../test/fakes/fake-github.js";
import { planSerial, planTide } from "./baseline-strategies.js";
import { simulate, type SimResult } from "./queue-sim.js";

const C = 8;
const flakeRate = Number(process.env.BENCH_FLAKE_RATE ?? 0.03);
const prs = Number(process.env.BENCH_PRS ?? 80);
const probabilities = [0.02, 0.1, 0.25];
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const strategies: [string, Planner][] = [
  ["mario", planMario],
  ["serial", planSerial],
  ["tide", planTide(5)],
];

const redis = new Redis(redisUrl, { protocol: 2, enableAutoPipelining: true });
const rows: { p: number; name: string; r: SimResult }[] = [];
const started = Date.now();
for (const p of probabilities) {
  for (const [name, planner] of strategies) {
    const github = await startFakeGitHub({ validate: false });
    const prefix = `mario-bench-queue-${randomUUID().slice(0, 8)}:`;
    try {
      const r = await simulate({ github, redis, prefix, planner, repo: "octo/queue", prs, T: 30 * 60_000, C, p, pairRate: 0.03, flakeRate, arrivalsPerT: 1.25 * C, seed: 1000 + Math.round(p * 1000), maxBatchSize: 8 });
      rows.push({ p, name, r });
      process.stderr.write(`p=${p} ${name}: ${JSON.stringify(r)}\n`);
    } finally {
      await github.close();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
    }
  }
}
await redis.quit();

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");
console.log(
  `merge queue benchmark: ${prs} PRs per run, arrivals 1.25·C/T, C = ${C}, CI time T, 3% of PRs in a pair that fails only together, ${flakeRate * 100}% of CI runs fail by a flake (${((Date.now() - started) / 1000).toFixed(0)} s)`,
);
console.log("| p | strategy | throughput (× C/T) | p50 ready→merged (T) | p95 (T) | CI runs / merged PR | GitHub requests / merged PR | merged | ejected (good ones) | flaky runs | base green |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const { p, name, r } of rows) {
  console.log(`| ${p} | ${name} | ${f(r.throughput)} | ${f(r.p50, 1)} | ${f(r.p95, 1)} | ${f(r.runsPerMerged)} | ${f(r.requestsPerMerged, 1)} | ${r.merged} | ${r.ejected} (${r.goodEjected}) | ${r.flakes} | ${r.green ? "yes" : `no (${r.untestedMerges} untested merges)`} |`);
}
const ahead = probabilities.every((p) => {
  const of = (n: string) => rows.find((x) => x.p === p && x.name === n)!.r.throughput;
  return of("mario") > of("serial") && of("mario") > of("tide");
});
const at10 = rows.find((x) => x.p === 0.1 && x.name === "mario")!.r.throughput;
const green = rows.every((x) => x.r.green);
console.log(
  `summary: mario ${ahead ? "ahead of" : "NOT ahead of"} serial and Tide at every p; at p=0.1 mario reaches ${f(at10)}×C/T (goal ≥ 0.5: ${at10 >= 0.5 ? "met" : "missed"}); base ${green ? "stayed green for every strategy" : "went RED"}`,
);
