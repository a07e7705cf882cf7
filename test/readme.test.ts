import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withCommandTable } from "../src/commands/readme-command-table.js";
import { loadConfigFile } from "../src/config/load-config.js";
import { createMetrics } from "../src/metrics/metrics.js";
import { packageRoot } from "../src/package-root.js";

const readme = readFileSync(join(packageRoot, "README.md"), "utf8");

describe("README", () => {
  it("has the command table generated from the commands' help (run `npm run docs` after changing a command)", () => {
    expect(readme).toBe(withCommandTable(readme, loadConfigFile(join(packageRoot, "config", "mario.yaml"))));
  });

  it("starts with the command that runs mario (the sandbox) and the one that runs the tests", () => {
    const commands = [...readme.slice(0, 1500).matchAll(/^(npm [^\n]+)$/gm)].map((m) => m[1]);
    expect(commands.slice(0, 2)).toEqual(["npm ci && npm run sandbox", "npm ci && npm test"]);
  });

  it("lists exactly the metrics mario records in its metrics table", async () => {
    const section = readme.slice(readme.indexOf("### Metrics and alerts"), readme.indexOf("### Upgrading"));
    const table = section.split("\n").filter((l) => l.startsWith("| `mario_"));
    const documented = new Set(table.flatMap((l) => [...l.split("|")[1]!.matchAll(/`(mario_[a-z_]+)`/g)].map((m) => m[1]!)));
    const recorded = (await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith("mario_"));
    expect([...documented].sort()).toEqual(recorded.sort());
  });

  it("documents every environment variable mario reads", () => {
    const source = readFileSync(join(packageRoot, "src", "settings.ts"), "utf8");
    const vars = [...new Set([...source.matchAll(/\b([A-Z][A-Z0-9]*_[A-Z0-9_]+|PORT|HOST)\b(?=[:?"\s])/g)].map((m) => m[1]!))];
    expect(vars.length).toBeGreaterThan(8);
    for (const v of vars) expect(readme, `README mentions ${v}`).toContain(`\`${v}\``);
  });
});
