import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../src/package-root.js";

/* What can be checked of the image without Docker: its stages, user, dependencies, files and Node version. */

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile instructions by stage: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = "", args = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === "FROM") {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ image: m?.[1] ?? args, name: m?.[2], instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

const dockerfile = parseDockerfile(readFileSync(join(packageRoot, "Dockerfile"), "utf8"));
const final = dockerfile.at(-1)!;
const dockerignore = readFileSync(join(packageRoot, ".dockerignore"), "utf8").split(/\r?\n/).map((l) => l.trim());
const engines = (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;

const of = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op);
/** `COPY --from=x a b c dest` → the stage it copies from and its sources. */
const copies = (stage: Stage) =>
  of(stage, "COPY").map((i) => {
    const words = i.args.split(/\s+/);
    const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
    const paths = words.filter((w) => !w.startsWith("--"));
    return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? "" };
  });
const installsProductionDeps = (stage: Stage) => of(stage, "RUN").some((i) => /\bnpm (ci|install)\b[^&;|]*(--omit[= ]dev|--production\b)/.test(i.args));
/** The Node major version of a base image (`node:24-bookworm-slim`, `node:24`, `…/nodejs24…`), if it says. */
const nodeMajor = (image: string) => Number(/^(?:[\w.-]+\/)*node:(\d+)/.exec(image)?.[1] ?? /nodejs(\d+)/.exec(image)?.[1] ?? Number.NaN);

describe("Dockerfile", () => {
  it("is multi-stage", () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
  });

  it("runs the final stage as a user other than root", () => {
    const user = of(final, "USER").at(-1)?.args.split(":")[0];
    expect(user, "the final stage sets USER").toBeDefined();
    expect(["root", "0"]).not.toContain(user);
  });

  it("ships production dependencies only", () => {
    const nodeModules = copies(final).find((c) => c.sources.some((s) => /node_modules\/?$/.test(s)));
    const source = nodeModules?.from ? dockerfile.find((s) => s.name === nodeModules.from) : undefined;
    expect(installsProductionDeps(final) || (source !== undefined && installsProductionDeps(source)), "node_modules come from `npm ci --omit=dev`").toBe(true);
  });

  it("copies the compiled code, the config and package.json into the final stage", () => {
    const sources = copies(final).flatMap((c) => c.sources);
    expect(sources.some((s) => /(^|\/)dist\/?$/.test(s)), "dist").toBe(true);
    expect(sources.some((s) => /^\.?\/?config\/?$/.test(s)), "config").toBe(true);
    expect(sources).toContain("package.json");
  });

  it("starts dist/src/main.js with node", () => {
    const start = [...of(final, "ENTRYPOINT"), ...of(final, "CMD")].map((i) => (i.args.startsWith("[") ? (JSON.parse(i.args) as string[]).join(" ") : i.args));
    expect(start.join(" ")).toMatch(/\bnode\s+(\.\/)?dist\/src\/main\.js\b/);
  });

  it("bases every stage on an even-numbered (LTS) Node at least as new as package.json's engines allow", () => {
    const minimum = Number(/(\d+)/.exec(engines)?.[1]);
    expect(minimum).toBeGreaterThanOrEqual(20);
    const names = new Set(dockerfile.map((s) => s.name).filter(Boolean));
    for (const { image } of dockerfile.filter((s) => !names.has(s.image))) {
      const major = nodeMajor(image);
      expect(major, `${image}: Node major version`).toBeGreaterThanOrEqual(minimum);
      expect(major % 2, `${image}: an LTS (even) Node release`).toBe(0);
    }
  });
});

describe(".dockerignore", () => {
  it.each(["node_modules", "test-results", ".git"])("keeps %s out of the build context", (path) => {
    expect(dockerignore.some((l) => l.replace(/^\/|\/$/g, "") === path)).toBe(true);
  });
});
