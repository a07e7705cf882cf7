import type { SlackMessageRef } from "../runs/run-record.js";
import type { SlackServices } from "./slack-services.js";

/** Where a run started from Slack gets its live message: the channel it was asked in, and who asked. */
export type FollowFrom = Pick<SlackMessageRef, "channel" | "requestedBy" | "responseUrl">;

/** Gives a run a live message in the channel it was started from, brought up to date now and on every change. */
export async function followRun(services: SlackServices, namespace: string, name: string, from: FollowFrom): Promise<void> {
  await services.commands.store.mergeSlackMessage(namespace, name, from);
  await services.scheduleUpdate(namespace, name);
}
