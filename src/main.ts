import { createLogger } from "./log.js";
import { loadStartup } from "./load-startup.js";
import { startMario } from "./mario.js";
import { SettingsError } from "./settings.js";

/** `npm start`: read and check every setting first, then run until SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let startup;
  try {
    startup = loadStartup();
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const log = createLogger(startup.settings.logLevel);
  const mario = await startMario({ ...startup, log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    mario.close().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
