import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { basename, join } from "node:path";

/** Starts `node <file>` (a .ts file through tsx) and resolves once it prints a line matching `ready`. */
export function startChild(file: string, env: Record<string, string>, ready: RegExp, timeoutMs = 30_000): Promise<{ child: ChildProcess; match: RegExpExecArray; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...(process.env.BENCH_CHILD_FLAGS ?? "").split(" ").filter(Boolean), ...(file.endsWith(".ts") ? ["--import", "tsx"] : []), file], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start in ${timeoutMs} ms:\n${output.slice(-2000)}`)), timeoutMs);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        // Stop collecting: a busy process logs a line per webhook and job, and matching a growing string on
        // every chunk would cost the caller more CPU than the process under test. Output keeps flowing (and is
        // dropped) unless the caller listens too.
        child.stdout!.off("data", onData);
        child.stderr!.off("data", onData);
        output = "";
        // BENCH_LOG_DIR keeps each process's log lines (for looking into a slow run); otherwise they are dropped.
        if (process.env.BENCH_LOG_DIR) {
          const log = createWriteStream(join(process.env.BENCH_LOG_DIR, `${basename(file)}-${child.pid}.log`));
          child.stdout!.pipe(log);
          child.stderr!.pipe(log);
        }
        resolve({
          child,
          match,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once("exit", () => done());
              child.kill("SIGTERM");
              setTimeout(() => child.kill("SIGKILL"), 5000).unref();
            }),
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code}:\n${output.slice(-2000)}`));
    });
  });
}
