/**
 * Verbs mario implements itself. A config command may not take one over; keep this list in step with the
 * built-in command definitions (a test checks it).
 */
export const builtinVerbs = ["help", "test", "retest", "cancel", "ok-to-test", "lgtm", "approve", "hold"] as const;
