import { describe, expect, it } from "vitest";
import { builtinCommands, type BuiltinServices } from "../../src/commands/builtin-commands.js";
import { builtinVerbs } from "../../src/commands/builtin-verbs.js";
import { createCommandRegistry } from "../../src/commands/command-registry.js";
import { parseConfig } from "../../src/config/load-config.js";

describe("built-in verbs", () => {
  it("are exactly the commands that have their own behaviour", () => {
    const registry = createCommandRegistry(parseConfig("{}"), builtinCommands({} as BuiltinServices));
    expect([...registry.values()].map((c) => c.verb).sort()).toEqual([...builtinVerbs].sort());
    expect([...registry.values()].every((c) => c.run)).toBe(true);
  });
});
