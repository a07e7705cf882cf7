import type { App, BlockAction, ButtonAction } from "@slack/bolt";
import { actionIds } from "../src/slack/render-slack-run.js";
import { onRunButton, type SlackActionIntake } from "./slack-action.js";
import { onSlashCommand, type SlackCommandIntake } from "./slack-command.js";

/** The Bolt app: slash commands and buttons in, queued work out. Nothing slow happens here. */
export function slackApp(app: App, intake: { command: SlackCommandIntake; action: SlackActionIntake }, slashCommand = "/mario"): void {
  app.command(/^\/[a-z0-9_-]+$/i, (args) => onSlashCommand(args, intake.command));
  app.action<BlockAction<ButtonAction>>(actionIds.cancel, (args) => onRunButton(args, "cancel", slashCommand, intake.action));
  app.action<BlockAction<ButtonAction>>(actionIds.retry, (args) => onRunButton(args, "retry", slashCommand, intake.action));
}
