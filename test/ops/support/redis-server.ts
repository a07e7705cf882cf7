/** A private `redis-server` on a free loopback port, for tests that kill and restart Redis. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface RedisServer {
  url: string;
  /** SIGKILL: whatever was not yet on disk is lost. */
  kill(): Promise<void>;
  /** Starts it again on the same port; `empty` first deletes its data directory (a Redis that lost everything). */
  restart(opts?: { empty?: boolean }): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, protocol: 2 });
  r.on("error", () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** `appendonly`: every write is fsynced to an append-only file before Redis answers (appendfsync always). */
export async function startRedisServer(opts: { appendonly: boolean }): Promise<RedisServer> {
  const port = await freePort();
  let dir = mkdtempSync(join(tmpdir(), "mario-redis-"));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async () => {
    const persistence = opts.appendonly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, ...persistence], { stdio: "ignore" });
    for (let i = 0; i < 200 && !(await answers(url)); i++) await new Promise((r) => setTimeout(r, 25));
    if (!(await answers(url))) throw new Error(`redis-server did not start on port ${port}`);
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  };
  await start();
  return {
    url,
    kill,
    async restart(o = {}) {
      await kill();
      if (o.empty) {
        rmSync(dir, { recursive: true, force: true });
        dir = mkdtempSync(join(tmpdir(), "mario-redis-"));
      }
      await start();
    },
    async close() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
