import { repoFullName } from "../github/repo-full-name.js";
import { imageReference, runLogUrl, stateView } from "../runs/render-run-report.js";
import type { RunRecord, SlackMessageRef } from "../runs/run-record.js";
import { finishedStates } from "../runs/run-status.js";
import { formatDuration } from "../text/markdown.js";
import type { SlackBlock, SlackMessage } from "./slack-port.js";
import { escapeSlack, slackCode, slackCodeBlock, slackLink } from "./slack-text.js";

/** Button action ids; the button's value is the run (`namespace/name`). */
export const actionIds = { cancel: "mario_cancel", retry: "mario_retry" } as const;

/** What a run ran on: its pull request (`octo/demo#42`), or the branch of a periodic run (`octo/demo:main`). */
export function runTarget(meta: RunRecord["meta"]): string {
  const repo = repoFullName(meta.repo);
  return meta.kind === "periodic" && meta.branch ? `${repo}:${meta.branch}` : `${repo}#${meta.pr}`;
}

/** Tasks that are over, of all tasks: "running (2/5 tasks done)". */
function progress(run: RunRecord): string {
  if (run.status.state !== "running" || run.tasks.length === 0) return "";
  const done = run.tasks.filter((t) => t.state !== "pending" && t.state !== "running").length;
  return ` (${done}/${run.tasks.length} tasks done)`;
}

/**
 * The Slack message of a run, edited in place as it moves: state, who asked, logs, image, and the buttons that
 * make sense now (Cancel while it can still be stopped, Retry once it is over).
 */
export function renderSlackRun(run: RunRecord, publicUrl: string, ref: Pick<SlackMessageRef, "requestedBy">): SlackMessage {
  const { meta, status } = run;
  const view = stateView(status.state);
  const finished = finishedStates.has(status.state);
  const logUrl = runLogUrl(publicUrl, meta);
  const took = status.startedAt && status.completedAt ? formatDuration(Date.parse(status.completedAt) - Date.parse(status.startedAt)) : "";
  const who = ref.requestedBy ? `<@${ref.requestedBy}>` : escapeSlack(`@${meta.requester}`);
  const headline = `${view.icon} *${view.title}${progress(run)}*${took ? ` in ${took}` : ""}: ${slackCode(meta.commandLine)} on ${slackLink(meta.prUrl, runTarget(meta))}`;

  const facts = [`Requested by ${who}`, slackLink(logUrl, "Logs")];
  const image = imageReference(status.results);
  if (image) facts.push(`Image ${slackCode(image)}`);

  const blocks: SlackBlock[] = [
    { type: "section", text: { type: "mrkdwn", text: headline.slice(0, 3000) } },
    { type: "context", elements: [{ type: "mrkdwn", text: facts.join(" · ").slice(0, 3000) }] },
  ];
  const details: string[] = [];
  if (status.message && (status.state === "failed" || status.state === "create-failed" || status.state === "timed-out" || status.state === "waiting-for-cluster")) {
    details.push(`> ${escapeSlack(status.message.replace(/\s+/g, " ").slice(0, 300))}`);
  }
  if (run.failure) {
    details.push(`Failed in task ${slackCode(run.failure.task)}${run.failure.step ? `, step ${slackCode(run.failure.step)}` : ""}.`);
    if (run.failure.logTail.length) details.push(slackCodeBlock(run.failure.logTail.slice(-10).join("\n").slice(-2000)));
  }
  if (details.length) blocks.push({ type: "section", text: { type: "mrkdwn", text: details.join("\n").slice(0, 3000) } });

  const value = `${meta.namespace}/${meta.name}`;
  blocks.push({
    type: "actions",
    block_id: "mario_run",
    elements: finished
      ? [{ type: "button", action_id: actionIds.retry, text: { type: "plain_text", text: "Retry" }, value }]
      : [
          {
            type: "button",
            action_id: actionIds.cancel,
            style: "danger",
            text: { type: "plain_text", text: "Cancel" },
            value,
            confirm: {
              title: { type: "plain_text", text: "Cancel this run?" },
              text: { type: "plain_text", text: meta.commandLine.slice(0, 300) },
              confirm: { type: "plain_text", text: "Cancel run" },
              deny: { type: "plain_text", text: "Keep running" },
            },
          },
        ],
  });
  const text = `${view.title}${progress(run)}: ${meta.commandLine} on ${runTarget(meta)}`;
  return { text: text.slice(0, 3000), blocks };
}
