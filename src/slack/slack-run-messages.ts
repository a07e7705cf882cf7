import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { RunStore } from "../runs/run-store.js";
import type { SlackMessageRef } from "../runs/run-record.js";
import type { Lock } from "../work/redis-lock.js";
import { renderSlackRun } from "./render-slack-run.js";
import { isSlackError, type SlackPort } from "./slack-port.js";
import { slackCode } from "./slack-text.js";

export interface RunMessageDeps {
  store: RunStore;
  slack: SlackPort;
  lock: Lock;
  publicUrl: string;
  log: Logger;
}

const digest = (value: unknown) => createHash("sha1").update(JSON.stringify(value)).digest("hex");

/** Errors after which posting to that channel can never work: give up on it (and say so) instead of retrying. */
const channelGone = ["channel_not_found", "not_in_channel", "is_archived", "restricted_action", "channel_is_archived"];

/**
 * Brings a run's Slack messages up to date: posts the first time, `chat.update`s when what they show changed,
 * and sends nothing otherwise. It reads the run when it runs, so one call covers every change before it; a
 * rate-limit or transient error is thrown for the queue to retry (after Retry-After), which cannot lose the
 * final state because the retry renders the run as it is then. Serialized per run.
 */
export async function updateRunMessages(deps: RunMessageDeps, namespace: string, name: string): Promise<void> {
  await deps.lock.coalesce(`slack:${namespace}/${name}`, async () => {
    const run = await deps.store.get(namespace, name);
    if (!run?.slack) return;
    let retry: unknown;
    for (const ref of run.slack) {
      if (ref.failed) continue;
      const message = renderSlackRun(run, deps.publicUrl, ref);
      const hash = digest(message);
      if (ref.ts && ref.hash === hash) continue;
      try {
        await send(deps, namespace, name, ref, message, hash);
      } catch (error) {
        if (!isSlackError(error) || error.retryable) {
          retry ??= error;
          continue;
        }
        deps.log.warn({ err: error, run: `${namespace}/${name}`, channel: ref.channel }, "giving up on a Slack run message");
        await deps.store.mergeSlackMessage(namespace, name, { channel: ref.channel, failed: error.code });
        if (ref.responseUrl && channelGone.includes(error.code)) {
          await deps.slack
            .respond(ref.responseUrl, { text: `I cannot post in this channel (${error.code}), so the run's status will not show here. Invite mario to the channel, or follow the run at its log link. ${slackCode(run.meta.commandLine)}` })
            .catch(() => undefined);
        }
      }
    }
    if (retry) throw retry;
  });
}

async function send(deps: RunMessageDeps, namespace: string, name: string, ref: SlackMessageRef, message: ReturnType<typeof renderSlackRun>, hash: string): Promise<void> {
  if (ref.ts) {
    try {
      await deps.slack.updateMessage(ref.channel, ref.ts, message);
      await deps.store.mergeSlackMessage(namespace, name, { channel: ref.channel, hash });
      return;
    } catch (error) {
      // Someone deleted the message: post a new one rather than lose the run's status.
      if (!isSlackError(error, "message_not_found")) throw error;
    }
  }
  const ts = await deps.slack.postMessage(ref.channel, message);
  await deps.store.mergeSlackMessage(namespace, name, { channel: ref.channel, ts, hash });
}
