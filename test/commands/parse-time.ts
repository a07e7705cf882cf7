import { parseCommands } from "../../src/commands/parse-commands.js";

/**
 * The parser's time bound: 20 ms per KiB plus a floor for timer resolution. Generous on purpose — a slow machine
 * or a GC pause must not fail it — yet far below what a quadratic or backtracking path takes on 64 KiB (seconds).
 */
export const parseBoundMs = (input: string) => 10 + (20 * Buffer.byteLength(input)) / 1024;

/** The best of up to three timed parses: stops as soon as one is within the bound (a pause does not repeat). */
export function bestParseMs(input: string): number {
  const bound = parseBoundMs(input);
  let best = Infinity;
  for (let attempt = 0; attempt < 3 && best >= bound; attempt++) {
    const start = performance.now();
    parseCommands(input);
    best = Math.min(best, performance.now() - start);
  }
  return best;
}
