import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/package-root.js";

/** The commands `.ci/run` runs, comments and blank lines left out. */
const commands = readFileSync(join(packageRoot, ".ci", "run"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));
const at = (pattern: RegExp) => commands.findIndex((l) => pattern.test(l));

describe(".ci/run", () => {
  it("runs a clean install, the typecheck, the lint and the tests, in that order", () => {
    const steps = [/^npm ci\b/, /^npm run typecheck$/, /^npm run lint$/, /^npm test$/].map(at);
    expect(steps.every((i) => i >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
  });

  it("sets CI before the tests, so that a missing browser fails them instead of skipping (test/support/browser.ts)", () => {
    const ci = at(/^export CI=(1|true)$/);
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(ci).toBeLessThan(at(/^npm test$/));
  });
});
