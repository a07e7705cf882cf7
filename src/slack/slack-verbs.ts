import type { CommandDefinition } from "../commands/command-definition.js";
import { repoFullName } from "../github/repo-full-name.js";
import { parseRepo } from "./channel-settings.js";
import type { SlackCommandEvent } from "./slack-command-job.js";
import type { SlackServices } from "./slack-services.js";
import { escapeSlack, slackCode } from "./slack-text.js";
import { subscriptionKinds, type SubscriptionKind } from "./slack-config.js";
import { checkAccess } from "./repo-access.js";
import { queueVerb } from "./slack-queue-verb.js";
import { statusVerb } from "./slack-status-verb.js";
import type { SlashText } from "./slash-text.js";

export interface SlackVerbContext {
  services: SlackServices;
  event: SlackCommandEvent;
  text: SlashText;
  /** The one ephemeral answer. */
  say(mrkdwn: string): Promise<void>;
}

type SlackVerb = (ctx: SlackVerbContext) => Promise<void>;

/** Verbs that exist only in Slack, with their help. */
export const slackVerbHelp: Record<string, { usage: string; description: string }> = {
  help: { usage: "help [command]", description: "List the commands, or explain one." },
  bind: { usage: "bind owner/name", description: "Make this channel's commands act on a repository (no more `repo=`)." },
  unbind: { usage: "unbind", description: "Forget this channel's repository." },
  subscribe: { usage: "subscribe owner/name failures|merges|all", description: "Post a repository's failed periodic jobs, merge-queue merges and removals (and, with `all`, every periodic result and a live message for every run) here." },
  unsubscribe: { usage: "unsubscribe owner/name", description: "Stop posting a repository's notifications here." },
  queue: { usage: "queue [owner/name]", description: "The merge queue of a repository: pools, positions, what each PR is missing." },
  status: { usage: "status <run>", description: "A run's state, tasks and log link." },
};

export const slackVerbs: Record<string, SlackVerb> = {
  help: helpVerb,
  bind: bindVerb,
  unbind: unbindVerb,
  subscribe: subscribeVerb,
  unsubscribe: unsubscribeVerb,
  queue: queueVerb,
  status: statusVerb,
};

export function unknownVerb(services: SlackServices, slash: string, verb: string): string {
  const known = [...Object.keys(slackVerbs), ...services.commands.registry.keys()].filter((v, i, all) => all.indexOf(v) === i);
  return `I don't know ${slackCode(`${slash} ${verb}`)}. I understand ${known.map((v) => slackCode(v)).join(", ")}; ${slackCode(`${slash} help`)} explains them.`;
}

async function helpVerb({ services, event, text, say }: SlackVerbContext): Promise<void> {
  const slash = event.command;
  const topic = text.words[0]?.replace(/^\//, "").toLowerCase();
  if (topic) {
    const definition = services.commands.registry.get(topic);
    if (definition && topic !== "help") return say(commandHelp(slash, definition));
    const own = slackVerbHelp[topic];
    if (own) return say(`${slackCode(`${slash} ${own.usage}`)} — ${own.description}`);
    return say(unknownVerb(services, slash, topic));
  }
  const bound = await services.channels.boundRepo(event.channel);
  const lines = [
    `*mario in Slack*: ${slackCode(`${slash} <command> [args] repo=owner/name pr=<number>`)}`,
    bound ? `This channel is bound to ${slackCode(repoFullName(bound))}, so ${slackCode("repo=")} may be left out.` : `This channel is not bound to a repository; add ${slackCode("repo=owner/name")} or use ${slackCode(`${slash} bind owner/name`)}.`,
    "",
    "*Commands on a pull request* (the same as in PR comments):",
    ...[...services.commands.registry.values()]
      .filter((d) => d.verb !== "help")
      .map((d) => `• ${slackCode(`${slash} ${d.help.usage.replace(/^\//, "")}`)} — ${escapeSlack(d.help.description)} _(${escapeSlack(d.help.who)})_`),
    "",
    "*Slack commands:*",
    ...Object.values(slackVerbHelp).map((h) => `• ${slackCode(`${slash} ${h.usage}`)} — ${h.description}`),
  ];
  return say(lines.join("\n"));
}

function commandHelp(slash: string, d: CommandDefinition): string {
  const lines = [`${slackCode(`${slash} ${d.help.usage.replace(/^\//, "")} pr=<number>`)} — ${escapeSlack(d.help.description)}`, `Who may use it: ${escapeSlack(d.help.who)}.`];
  if (d.args.length) {
    lines.push("Arguments:");
    for (const a of d.args) {
      const name = a.positional ? `<${a.name}>` : `${a.name}=`;
      lines.push(`• ${slackCode(name)}${a.required ? " (required)" : ""}${a.default !== undefined ? `, default ${slackCode(a.default)}` : ""}: ${escapeSlack(a.description)} Accepted: ${slackCode(a.pattern)}`);
    }
  }
  if (d.help.examples.length) lines.push("Examples:", ...d.help.examples.map((e) => `• ${slackCode(`${slash} ${e.replace(/^\//, "")} pr=123`)}`));
  return lines.join("\n");
}

/** The `owner/name` word of a channel verb, or an answer explaining what was expected. */
function repoWord(ctx: SlackVerbContext, usage: string) {
  const word = ctx.text.words[0];
  const repo = word ? parseRepo(word) : undefined;
  return repo ? { repo } : { problem: `${word ? `${slackCode(word)} is not a repository. ` : ""}Usage: ${slackCode(`${ctx.event.command} ${usage}`)}` };
}

async function bindVerb(ctx: SlackVerbContext): Promise<void> {
  const { repo, problem } = repoWord(ctx, slackVerbHelp.bind!.usage);
  if (!repo) return ctx.say(problem!);
  const need = ctx.services.slackConfig.bindPermission;
  const access = await checkAccess(ctx.services, ctx.event.user, repo, need, "Binding a channel");
  if (!access.ok) return ctx.say(access.message);
  await ctx.services.channels.bind(ctx.event.channel, repo);
  return ctx.say(`This channel now acts on ${slackCode(repoFullName(repo))}: ${slackCode(`${ctx.event.command} build image pr=123`)} works without ${slackCode("repo=")}.`);
}

async function unbindVerb(ctx: SlackVerbContext): Promise<void> {
  const bound = await ctx.services.channels.boundRepo(ctx.event.channel);
  if (!bound) return ctx.say("This channel is not bound to a repository.");
  const access = await checkAccess(ctx.services, ctx.event.user, bound, ctx.services.slackConfig.bindPermission, "Unbinding a channel");
  if (!access.ok) return ctx.say(access.message);
  const removed = await ctx.services.channels.unbind(ctx.event.channel);
  const still = await ctx.services.channels.boundRepo(ctx.event.channel);
  if (!removed) return ctx.say(`This channel's repository ${slackCode(repoFullName(bound))} comes from mario's config; change it there.`);
  return ctx.say(still ? `Unbound; the channel falls back to ${slackCode(repoFullName(still))} from mario's config.` : `This channel no longer acts on ${slackCode(repoFullName(removed))}.`);
}

async function subscribeVerb(ctx: SlackVerbContext): Promise<void> {
  const usage = slackVerbHelp.subscribe!.usage;
  const { repo, problem } = repoWord(ctx, usage);
  if (!repo) return ctx.say(problem!);
  const kind = (ctx.text.words[1] ?? "").toLowerCase();
  if (!(subscriptionKinds as readonly string[]).includes(kind)) return ctx.say(`Say what to post: ${subscriptionKinds.map((k) => slackCode(k)).join(", ")}. Usage: ${slackCode(`${ctx.event.command} ${usage}`)}`);
  const access = await checkAccess(ctx.services, ctx.event.user, repo, ctx.services.slackConfig.bindPermission, "Subscribing a channel");
  if (!access.ok) return ctx.say(access.message);
  await ctx.services.channels.subscribe(ctx.event.channel, repo, kind as SubscriptionKind);
  const what = {
    failures: "failed periodic jobs",
    merges: "merges and removals from the merge queue",
    all: "a live message for every run, every periodic result, and merges and removals from the merge queue",
  }[kind as SubscriptionKind];
  return ctx.say(`This channel will get ${what} of ${slackCode(repoFullName(repo))}.`);
}

async function unsubscribeVerb(ctx: SlackVerbContext): Promise<void> {
  const { repo, problem } = repoWord(ctx, slackVerbHelp.unsubscribe!.usage);
  if (!repo) return ctx.say(problem!);
  const access = await checkAccess(ctx.services, ctx.event.user, repo, ctx.services.slackConfig.bindPermission, "Unsubscribing a channel");
  if (!access.ok) return ctx.say(access.message);
  const removed = await ctx.services.channels.unsubscribe(ctx.event.channel, repo);
  return ctx.say(removed ? `No more notifications of ${slackCode(repoFullName(repo))} here.` : `This channel had no subscription to ${slackCode(repoFullName(repo))} made in Slack (subscriptions in the config are changed there).`);
}
