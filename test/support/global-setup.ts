import { spawn, type ChildProcess } from "node:child_process";
import type { TestProject } from "vitest/node";
import { redisAnswers as answers } from "../../sandbox/sandbox-redis.js";

/**
 * Tests use a real Redis: the one on 127.0.0.1:6379 when it answers (each test file takes its own key prefix
 * and cleans up), otherwise a private `redis-server` started here on a free port and stopped at the end.
 */
let child: ChildProcess | undefined;

export default async function setup(project: TestProject) {
  if (process.env.REDIS_URL) {
    project.provide("redisUrl", process.env.REDIS_URL);
    return;
  }
  if (await answers(6379)) {
    project.provide("redisUrl", "redis://127.0.0.1:6379");
    return;
  }
  const port = 16379 + Math.floor(Math.random() * 1000);
  child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  child.once("error", (error) => {
    throw new Error(`No Redis answers on 127.0.0.1:6379 and redis-server could not be started (${error.message}). Install it: apt-get install redis-server`);
  });
  for (let i = 0; i < 100 && !(await answers(port)); i++) await new Promise((r) => setTimeout(r, 50));
  project.provide("redisUrl", `redis://127.0.0.1:${port}`);
  return () => {
    child?.kill();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
