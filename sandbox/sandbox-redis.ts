import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";

/** Resolves whether something answers PING on host:port. */
export function redisAnswers(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(500);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (d) => {
      socket.destroy();
      resolve(d.toString().startsWith("+PONG"));
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * The Redis the sandbox uses: `REDIS_URL` when set, else a private `redis-server` on a free port that stops with
 * the sandbox. Installs nothing: when the binary is missing it says how to get it.
 */
export async function sandboxRedis(url = process.env.REDIS_URL): Promise<{ url: string; stop(): Promise<void> }> {
  if (url) return { url, stop: async () => undefined };
  if (spawnSync("redis-server", ["--version"]).error) {
    throw new Error("The sandbox needs Redis: set REDIS_URL, or install redis-server (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis).");
  }
  const port = 20000 + Math.floor(Math.random() * 20000);
  // Its own process group: Ctrl-C in the terminal signals the whole foreground group, and Redis must outlive mario's
  // shutdown (which still writes to it); the sandbox stops it last, and at the latest when its own process exits.
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore", detached: true });
  const killOnExit = () => child.kill();
  process.once("exit", killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve()); // it could not be started at all
  });
  const stop = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
  };
  for (let i = 0; i < 100 && child.exitCode === null && !(await redisAnswers(port)); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await redisAnswers(port))) {
    await stop();
    throw new Error(`redis-server did not start on port ${port}`);
  }
  return { url: `redis://127.0.0.1:${port}`, stop };
}
