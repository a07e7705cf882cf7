import { pino, type Logger } from "pino";
import { logContext } from "./log-context.js";

/**
 * Structured JSON logs. Credentials that could end up in a logged object (headers, tokens, keys) are redacted
 * by path, so a careless `log.info({ req })` cannot leak them.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    level,
    base: { service: "mario" },
    // The delivery id and job being handled, on every line logged while handling them (src/log-context.ts).
    mixin: logContext,
    redact: {
      paths: [
        "*.authorization",
        "*.headers.authorization",
        "*.request.headers.authorization",
        "err.request.headers.authorization",
        "err.response.headers.authorization",
        "*.token",
        "*.privateKey",
        "*.webhookSecret",
        "*.secret",
        "*.password",
      ],
      censor: "[redacted]",
    },
  });
}
