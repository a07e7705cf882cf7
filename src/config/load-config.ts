import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { configSchema, type MarioConfig } from "./config-schema.js";
import { checkConfig } from "./check-config.js";
import { packageRoot } from "../package-root.js";

export const defaultConfigPath = join(packageRoot, "config", "mario.yaml");

/** Thrown when the config cannot be used; `problems` are `path: message` lines without the file name. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid mario config ${file}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfigFile(file: string = process.env.MARIO_CONFIG || defaultConfigPath): MarioConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [`cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file = "<inline>"): MarioConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? "?"}: ${e.message.split("\n")[0]}`));
  }
  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) throw new ConfigError(file, formatIssues(parsed.error.issues));
  const problems = checkConfig(parsed.data);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return parsed.data;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === "number") return `${out}[${key}]`;
    const name = String(key);
    return out === "" ? name : `${out}.${name}`;
  }, "");
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const where = formatPath(issue.path) || "(top level)";
    if (issue.code === "unrecognized_keys") return `${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
    if (issue.code === "invalid_union") return `${where}: ${unionHint(where)}`;
    return `${where}: ${issue.message}`;
  });
}

function unionHint(where: string): string {
  if (where.endsWith("pipelineRef")) return 'must be either { name: <pipeline> } or { resolver: git|bundles|hub|cluster|http, params: {...} }';
  return "does not match any allowed form";
}
