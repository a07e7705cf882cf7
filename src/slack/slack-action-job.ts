import type { RunRecord } from "../runs/run-record.js";
import { stateView } from "../runs/render-run-report.js";
import { finishedStates } from "../runs/run-status.js";
import type { Attempt } from "../work/work-queue.js";
import { checkAccess, checkTrusted } from "./repo-access.js";
import { runSlackCommand } from "./slack-command-job.js";
import type { SlackUser } from "./slack-identity.js";
import { sayIfGivingUp, slackReply, type SlackReply } from "./slack-reply.js";
import type { SlackServices } from "./slack-services.js";
import { slackCode } from "./slack-text.js";
import { findRun } from "./slack-status-verb.js";
import { followRun } from "./follow-run.js";

/** A Cancel or Retry button pressed on a run message. Plain JSON: it is queued. */
export interface SlackActionEvent {
  /** Unique per press (Slack's trigger id). */
  deliveryId: string;
  action: "cancel" | "retry";
  /** `namespace/name` of the run (the button's value). */
  run: string;
  user: SlackUser;
  channel: string;
  responseUrl: string;
  command: string;
}

/** Presses of Retry on one run within this window start one run; later presses are told who retried it. */
export const retryWindowSeconds = 30;

/**
 * Cancel and Retry act as the person who pressed the button, with the permission checked when it is pressed, by
 * the rule GitHub applies to the same act. A button that no longer fits the run (Cancel on a finished run, Retry on
 * a running one) gets an ephemeral answer and the message is refreshed.
 */
export async function runSlackAction(services: SlackServices, event: SlackActionEvent, attempt: Attempt): Promise<void> {
  const reply = slackReply(services, event.responseUrl, event.deliveryId, event.command);
  await sayIfGivingUp(reply, attempt, `${event.action === "cancel" ? "Cancel" : "Retry"} of ${event.run}`, async () => {
    const run = await findRun(services, event.run);
    if (!run) return reply.say(`I no longer know the run ${slackCode(event.run)}.`);
    if (run.meta.kind === "staging") {
      // Its message has no buttons (see render-slack-run.ts); one posted before that still may.
      await services.scheduleUpdate(run.meta.namespace, run.meta.name);
      return reply.say(`This run belongs to the merge queue, which starts, retries and cancels it. To keep a pull request from merging, comment ${slackCode("/hold")} on it.`);
    }
    return event.action === "cancel" ? cancel(services, event, run, reply) : retry(services, event, run, attempt, reply);
  });
}

/** Cancel follows the rule of /cancel on GitHub (trusted users), and keeps the logs of running steps as it does. */
async function cancel(services: SlackServices, event: SlackActionEvent, run: RunRecord, { say }: SlackReply): Promise<void> {
  const line = slackCode(run.meta.commandLine);
  const access = await checkTrusted(services, event.user, run.meta.repo, `Cancelling ${line}`);
  if (!access.ok) return say(access.message);
  if (finishedStates.has(run.status.state)) {
    await services.scheduleUpdate(run.meta.namespace, run.meta.name); // the message may still show Cancel
    return say(`${line} already finished (${stateView(run.status.state).title.toLowerCase()}); there is nothing to cancel.`);
  }
  const cancelled = await services.runs.cancelRun(run.meta.namespace, run.meta.name);
  return say(cancelled ? `Cancelling ${line}; the message will show when it stopped.` : `The run ${slackCode(event.run)} is no longer in the cluster.`);
}

/**
 * Retry runs what the run ran, again, through the path GitHub uses for the same thing (which checks everything
 * anew): a command on the same PR, a presubmit job as `/test <job>` on the PR, or a periodic job on its branch's
 * current head. Jobs follow the trust rule of `/test`, commands their own permission.
 */
async function retry(services: SlackServices, event: SlackActionEvent, run: RunRecord, attempt: Attempt, reply: SlackReply): Promise<void> {
  const { meta } = run;
  const line = slackCode(meta.commandLine);
  const periodic = meta.kind === "periodic";
  const job = meta.kind === "job" || periodic ? (meta.job ?? meta.verb) : undefined;
  const what = `Retrying ${line}`;
  const access =
    job !== undefined
      ? await checkTrusted(services, event.user, meta.repo, what)
      : await checkAccess(services, event.user, meta.repo, services.commands.registry.get(meta.verb)?.permission ?? "write", what);
  if (!access.ok) return reply.say(access.message);
  if (!finishedStates.has(run.status.state)) return reply.say(`${line} is still ${stateView(run.status.state).title.toLowerCase()}; cancel it first or wait for it to finish.`);
  const retriedBy = await claimRetry(services, event, `${meta.namespace}/${meta.name}`);
  if (retriedBy !== undefined) {
    return reply.say(`${retriedBy === event.user.id ? `You just retried ${line}` : `${line} was just retried by <@${retriedBy}>`}; the new run has a message of its own.`);
  }

  if (periodic && job !== undefined) {
    const started = await services.runs.runPeriodicNow(job, { requester: access.identity.author, identity: `slack-retry:${event.deliveryId}`, attempt });
    if (!started) return reply.say(`The periodic job ${slackCode(job)} is no longer configured, so there is nothing to run again.`);
    return followRun(services, started.namespace, started.name, { channel: event.channel, requestedBy: event.user.id, responseUrl: event.responseUrl });
  }
  await runSlackCommand(
    services,
    {
      deliveryId: `retry-${event.deliveryId}`,
      command: event.command,
      text: job !== undefined ? `test ${job}` : meta.commandLine.replace(/^\//, ""),
      user: event.user,
      channel: event.channel,
      responseUrl: event.responseUrl,
      target: { repo: meta.repo, pr: meta.pr },
    },
    attempt,
  );
}

/**
 * The first press of Retry on a run within the window claims it (SET NX with expiry); a job retried after a
 * failure finds its own claim. Undefined when this press may start the run, else the Slack user who claimed it.
 */
async function claimRetry(services: SlackServices, event: SlackActionEvent, run: string): Promise<string | undefined> {
  const { redis, prefix } = services.commands;
  const key = `${prefix}slack:retried:${run}`;
  const mine = `${event.deliveryId} ${event.user.id}`;
  for (let tries = 0; tries < 2; tries++) {
    if ((await redis.set(key, mine, "EX", retryWindowSeconds, "NX")) === "OK") return undefined;
    const holder = await redis.get(key);
    if (holder !== null) return holder === mine ? undefined : holder.slice(holder.indexOf(" ") + 1);
    // The claim expired between the two calls: try once more.
  }
  return undefined;
}
