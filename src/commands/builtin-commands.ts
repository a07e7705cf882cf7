import type { CommandDefinition } from "./command-definition.js";
import { helpCommand } from "./help-command.js";
import type { JobCommandServices } from "../jobs/job-commands.js";
import { cancelCommand } from "./cancel-command.js";
import { okToTestCommand } from "./ok-to-test-command.js";
import { retestCommand } from "./retest-command.js";
import { testCommand } from "./test-command.js";
import type { ReviewCommandServices } from "../review/review-services.js";
import { approveCommand } from "./approve-command.js";
import { holdCommand } from "./hold-command.js";
import { lgtmCommand } from "./lgtm-command.js";

/**
 * What built-in commands need from the rest of mario. Features that add commands add their services here, and
 * mario.ts provides them.
 */
export interface BuiltinServices extends JobCommandServices, ReviewCommandServices {}

/** Every built-in command, in the order `/help` lists them. */
export function builtinCommands(services: BuiltinServices): CommandDefinition[] {
  return [helpCommand, testCommand(services), retestCommand(services), cancelCommand(services), okToTestCommand(services), lgtmCommand(services), approveCommand(services), holdCommand(services)];
}
