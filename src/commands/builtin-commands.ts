import type { CommandDefinition } from "./command-definition.js";
import { helpCommand } from "./help-command.js";

/**
 * What built-in commands need from the rest of mario. Features that add commands add their services here, and
 * mario.ts provides them.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface BuiltinServices {}

/** Every built-in command, in the order `/help` lists them. */
export function builtinCommands(_services: BuiltinServices): CommandDefinition[] {
  return [helpCommand];
}
