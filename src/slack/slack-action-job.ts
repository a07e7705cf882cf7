import { stateView } from "../runs/render-run-report.js";
import { finishedStates } from "../runs/run-status.js";
import type { Attempt } from "../work/work-queue.js";
import { checkAccess } from "./repo-access.js";
import { runSlackCommand } from "./slack-command-job.js";
import type { SlackUser } from "./slack-identity.js";
import { slackReply } from "./slack-reply.js";
import type { SlackServices } from "./slack-services.js";
import { slackCode } from "./slack-text.js";
import { findRun } from "./slack-status-verb.js";

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

/**
 * Cancel and Retry act as the person who pressed the button, after the same permission check as the command
 * that started the run. A button that no longer fits the run (Cancel on a finished run, Retry on a running one)
 * gets an ephemeral answer and the message is refreshed.
 */
export async function runSlackAction(services: SlackServices, event: SlackActionEvent, attempt: Attempt): Promise<void> {
  const { say } = slackReply(services, event.responseUrl, event.deliveryId, event.command);
  const run = await findRun(services, event.run);
  if (!run) return say(`I no longer know the run ${slackCode(event.run)}.`);
  const definition = services.commands.registry.get(run.meta.verb);
  const need = definition?.permission ?? "write";
  const verb = event.action === "cancel" ? "Cancelling" : "Retrying";
  const access = await checkAccess(services, event.user, run.meta.repo, need, `${verb} ${slackCode(run.meta.commandLine)}`);
  if (!access.ok) return say(access.message);

  const finished = finishedStates.has(run.status.state);
  const title = stateView(run.status.state).title.toLowerCase();
  if (event.action === "cancel") {
    if (finished) {
      await services.scheduleUpdate(run.meta.namespace, run.meta.name); // the message may still show Cancel
      return say(`${slackCode(run.meta.commandLine)} already finished (${title}); there is nothing to cancel.`);
    }
    const existed = await services.commands.tekton.cancelPipelineRun(run.meta.namespace, run.meta.name);
    return say(existed ? `Cancelling ${slackCode(run.meta.commandLine)}; the message will show when it stopped.` : `The run ${slackCode(event.run)} is no longer in the cluster.`);
  }
  if (!finished) return say(`${slackCode(run.meta.commandLine)} is still ${title}; cancel it first or wait for it to finish.`);
  // The same command again, on the same PR, as whoever pressed Retry: the command path checks everything anew.
  await runSlackCommand(
    services,
    {
      deliveryId: `retry-${event.deliveryId}`,
      command: event.command,
      text: run.meta.commandLine.replace(/^\//, ""),
      user: event.user,
      channel: event.channel,
      responseUrl: event.responseUrl,
      target: { repo: run.meta.repo, pr: run.meta.pr },
    },
    attempt,
  );
}
