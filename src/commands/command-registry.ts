import type { MarioConfig } from "../config/config-schema.js";
import { permissionPhrase } from "../github/permission.js";
import type { CommandDefinition, CommandRegistry } from "./command-definition.js";
import { describeUsage } from "./describe-usage.js";

/**
 * Built-in commands first (see builtin-commands.ts), then the pipeline commands the config declares, in
 * config order.
 */
export function createCommandRegistry(config: MarioConfig, builtins: readonly CommandDefinition[]): CommandRegistry {
  const registry = new Map<string, CommandDefinition>();
  for (const builtin of builtins) registry.set(builtin.verb, builtin);
  for (const [verb, command] of Object.entries(config.commands)) {
    registry.set(verb, {
      verb,
      permission: command.permission,
      args: command.args,
      pipeline: command.pipeline,
      help: {
        usage: describeUsage(verb, command.args),
        description: command.description,
        who: permissionPhrase(command.permission),
        examples: command.examples,
      },
    });
  }
  return registry;
}
