// Rewrites the command table in README.md from the help texts of the default config's commands.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withCommandTable } from "../src/commands/readme-command-table.js";
import { loadConfigFile } from "../src/config/load-config.js";
import { packageRoot } from "../src/package-root.js";

const file = join(packageRoot, "README.md");
const before = readFileSync(file, "utf8");
const after = withCommandTable(before, loadConfigFile(join(packageRoot, "config", "mario.yaml")));
writeFileSync(file, after);
console.log(before === after ? "README.md command table is up to date" : "README.md command table regenerated");
