import { pino, type Logger } from "pino";

/**
 * Structured JSON logs. Credentials that could end up in a logged object (headers, tokens, keys) are redacted
 * by path, so a careless `log.info({ req })` cannot leak them.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    level,
    base: { service: "mario" },
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
