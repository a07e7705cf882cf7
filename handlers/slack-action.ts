import type { BlockAction, ButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import type { SlackActionEvent } from "../src/slack/slack-action-job.js";

export type SlackActionIntake = (event: SlackActionEvent) => Promise<void>;

/** A Cancel or Retry button → a queued SlackActionEvent; acknowledged at once, answered ephemerally later. */
export async function onRunButton(
  { body, action, ack }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>>,
  kind: SlackActionEvent["action"],
  slashCommand: string,
  intake: SlackActionIntake,
): Promise<void> {
  await ack();
  if (!body.channel?.id || !body.response_url) return; // only buttons on channel messages are ours
  await intake({
    deliveryId: body.trigger_id,
    action: kind,
    run: action.value ?? "",
    user: { id: body.user.id, name: body.user.username ?? body.user.name },
    channel: body.channel.id,
    responseUrl: body.response_url,
    command: slashCommand,
  });
}
