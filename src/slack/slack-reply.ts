import type { Replier } from "../work/handle-commands.js";
import type { Attempt } from "../work/work-queue.js";
import { givesUp } from "../work/rate-limit-delay.js";
import type { SlackServices } from "./slack-services.js";
import { markdownToSlack, slackCode } from "./slack-text.js";

export interface SlackReply {
  /** Sends one ephemeral answer (Slack mrkdwn); a retried job does not send it again. */
  say(mrkdwn: string): Promise<void>;
  /** The Replier for the shared command handler: its Markdown sections, converted, as one ephemeral answer. */
  replier: Replier;
}

/** Answers through the request's `response_url`: only the person who typed the command or pressed the button sees it. */
export function slackReply(services: Pick<SlackServices, "slack" | "commands">, responseUrl: string, deliveryId: string, slashCommand = "/mario"): SlackReply {
  const { redis, prefix } = services.commands;
  const say = async (text: string) => {
    const marker = `${prefix}slack:replied:${deliveryId}`;
    if (await redis.exists(marker)) return;
    await services.slack.respond(responseUrl, { text: text.slice(0, 3900) });
    await redis.set(marker, "1", "EX", 24 * 3600);
  };
  return {
    say,
    replier: async (_gh, sections) => {
      if (sections.length === 0) return;
      await say(sections.map((s) => markdownToSlack(s, slashCommand)).join("\n\n"));
    },
  };
}

/** Errors already told about by an inner sayIfGivingUp (Retry runs a command, which has its own). */
const told = new WeakSet<object>();

/** Runs `work`; when it fails on the job's last attempt, says so before giving up (the person only saw "working on it"). */
export async function sayIfGivingUp(reply: Pick<SlackReply, "say">, attempt: Attempt, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const tellable = typeof error === "object" && error !== null;
    if (givesUp(attempt, error) && !(tellable && told.has(error))) {
      await reply.say(`Sorry, ${slackCode(what)} failed: ${(error as Error).message.slice(0, 300)}. Please try again later.`).catch(() => undefined);
      if (tellable) told.add(error);
    }
    throw error;
  }
}
