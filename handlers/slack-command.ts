import type { SlackCommandMiddlewareArgs } from "@slack/bolt";
import type { SlackCommandEvent } from "../src/slack/slack-command-job.js";

export type SlackCommandIntake = (event: SlackCommandEvent) => Promise<void>;

/** Time left for queueing before the answer must go out (Slack waits 3 s in all; the replay check may take 0.75 s). */
const ackBudgetMs = 1500;

/** Shown in place of the slash command at once; the answer or the run's message follows. */
const echo = (text: string) => text.replace(/[`\r\n]/g, " ").slice(0, 200);

/**
 * A slash command → a queued SlackCommandEvent, acknowledged at once (Slack allows 3 s). Keyed by trigger id,
 * so the same command delivered twice is queued once.
 */
export async function onSlashCommand({ command, ack }: SlackCommandMiddlewareArgs, intake: SlackCommandIntake): Promise<void> {
  const event: SlackCommandEvent = {
    deliveryId: command.trigger_id,
    command: command.command,
    text: command.text ?? "",
    user: { id: command.user_id, name: command.user_name },
    channel: command.channel_id,
    responseUrl: command.response_url,
  };
  const typed = `\`${echo(`${command.command} ${command.text ?? ""}`.trim())}\``;
  // Slack gives up after 3 s. A queue that is slow (Redis reconnecting) still gets the command: it is queued as
  // soon as Redis answers, so the user is told to wait rather than to repeat it (which would run it twice).
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<"slow">((resolve) => (timer = setTimeout(() => resolve("slow"), ackBudgetMs)));
  try {
    const queued = intake(event).then(() => "queued" as const);
    queued.catch(() => undefined); // a failure after the answer went out has nobody left to tell
    const outcome = await Promise.race([queued, slow]);
    if (outcome === "slow") {
      await ack({ response_type: "ephemeral", text: `⏳ ${typed}: mario's queue is slow to answer; the command will run when it is back. No need to repeat it.` });
      return;
    }
  } catch {
    await ack({ response_type: "ephemeral", text: `mario could not take ${typed} right now (its queue is unreachable); please try again in a minute.` });
    return;
  } finally {
    clearTimeout(timer);
  }
  await ack({ response_type: "ephemeral", text: `⏳ ${typed}` });
}
