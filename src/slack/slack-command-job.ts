import type { CommandRequest } from "../commands/command-definition.js";
import type { RepoRef } from "../github/github-port.js";
import { repoFullName } from "../github/repo-full-name.js";
import { handleCommands, type CommandDeps } from "../work/handle-commands.js";
import type { Attempt } from "../work/work-queue.js";
import { parseRepo } from "./channel-settings.js";
import { followRun } from "./follow-run.js";
import { identify } from "./repo-access.js";
import { identityPermission, type SlackUser } from "./slack-identity.js";
import { sayIfGivingUp, slackReply } from "./slack-reply.js";
import type { SlackServices } from "./slack-services.js";
import { slackCode, slashCommandText } from "./slack-text.js";
import { slackVerbs, unknownVerb } from "./slack-verbs.js";
import { splitSlashText } from "./slash-text.js";

/** A `/mario …` slash command (or a Retry button), normalized by the Slack handler. Plain JSON: it is queued. */
export interface SlackCommandEvent {
  /** Slack's trigger id: unique per invocation, so a delivery seen twice is queued once. */
  deliveryId: string;
  /** The slash command as configured in Slack, usually `/mario`. */
  command: string;
  /** What the user typed after the command, as Slack sent it. */
  text: string;
  user: SlackUser;
  channel: string;
  responseUrl: string;
  /** Set by Retry: the repository and PR of the run being retried. */
  target?: { repo: RepoRef; pr: number };
}

/**
 * `/mario <verb> [args]`: Slack's own verbs (bind, subscribe, queue, status, help) here; every other verb is
 * the text `/<verb> [args]` through the same parser, definitions, validation and permission rules as a PR
 * comment, acting on `repo=`/`pr=` or the channel's repository, as the Slack user's GitHub identity.
 */
export async function runSlackCommand(services: SlackServices, event: SlackCommandEvent, attempt: Attempt): Promise<void> {
  const reply = slackReply(services, event.responseUrl, event.deliveryId, event.command);
  await sayIfGivingUp(reply, attempt, `${event.command} ${event.text}`, () => dispatch(services, event, attempt, reply));
}

async function dispatch(services: SlackServices, event: SlackCommandEvent, attempt: Attempt, reply: ReturnType<typeof slackReply>): Promise<void> {
  // Slack escapes &, < and > in what was typed; a Retry replays a command line that is already plain.
  const text = splitSlashText(event.target ? event.text : slashCommandText(event.text));
  const { registry } = services.commands;
  const own = slackVerbs[text.verb];
  if (own && !event.target) return own({ services, event, text, say: reply.say });
  if (!registry.has(text.verb)) return reply.say(unknownVerb(services, event.command, text.verb));

  const repo = event.target?.repo ?? (text.repo !== undefined ? parseRepo(text.repo) : await services.channels.boundRepo(event.channel));
  if (!repo) {
    return reply.say(
      text.repo !== undefined
        ? `${slackCode(`repo=${text.repo}`)} is not a repository; write it as ${slackCode("repo=owner/name")}.`
        : `Which repository? Add ${slackCode("repo=owner/name")}, or bind this channel to one with ${slackCode(`${event.command} bind owner/name`)}.`,
    );
  }
  const prText = event.target ? String(event.target.pr) : text.pr;
  if (prText === undefined) return reply.say(`Which pull request of ${slackCode(repoFullName(repo))}? Add ${slackCode("pr=<number>")}.`);
  if (!/^[1-9][0-9]{0,9}$/.test(prText)) return reply.say(`${slackCode(`pr=${prText}`)} is not a pull request number; write it as ${slackCode("pr=123")}.`);

  const who = await identify(services, event.user);
  if (!who.ok) return reply.say(who.message);
  const installationId = await services.installations(repo);
  if (installationId === undefined) return reply.say(`mario is not installed on ${slackCode(repoFullName(repo))} (or the repository does not exist), so nothing ran.`);

  const request: CommandRequest = {
    deliveryId: `slack-${event.deliveryId}`,
    installationId,
    repo,
    issueNumber: Number(prText),
    isPullRequest: true,
    author: who.identity.author,
    source: "slack",
  };
  const identity = who.identity;
  const from = { channel: event.channel, requestedBy: event.user.id, responseUrl: event.responseUrl };
  const deps: CommandDeps = {
    ...services.commands,
    // The identity decides, not the author string: a group member may have no GitHub login at all.
    permission: (gh, r) => identityPermission(services.commands, gh, identity, r),
    // Every run this command starts gets a live message in the channel it was typed in: a pipeline command's
    // before its first report, a job's (`/test`, `/retest`, `/ok-to-test`) once it is started.
    report: async (namespace, name) => {
      await services.commands.store.mergeSlackMessage(namespace, name, from);
      await services.commands.report(namespace, name);
      await services.scheduleUpdate(namespace, name);
    },
    runStarted: (namespace, name) => followRun(services, namespace, name, from),
  };
  await handleCommands(deps, request, `/${text.verb}${text.rest ? ` ${text.rest}` : ""}`, attempt, reply.replier);
}
