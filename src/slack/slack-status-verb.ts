import { runNamespaces } from "../kube/run-namespaces.js";
import { imageReference, runLogUrl, stateView } from "../runs/render-run-report.js";
import type { RunRecord } from "../runs/run-record.js";
import { slackRunTarget } from "./render-slack-run.js";
import { checkAccess } from "./repo-access.js";
import type { SlackServices } from "./slack-services.js";
import { escapeSlack, slackCode, slackLink } from "./slack-text.js";
import type { SlackVerbContext } from "./slack-verbs.js";

/** The `namespace/name` of a run's log link (`…/runs/<namespace>/<name>`, maybe `?token=…` for private repositories). */
function fromLogLink(word: string): [string, string] | undefined {
  let path: string;
  try {
    path = new URL(word).pathname;
  } catch {
    return undefined; // not a URL
  }
  const m = /\/runs\/([a-z0-9-]{1,63})\/([a-z0-9-]{1,253})\/?$/.exec(path);
  return m ? [m[1]!, m[2]!] : undefined;
}

/** A run by `name` or `namespace/name`, or by its log link. */
export async function findRun(services: SlackServices, word: string): Promise<RunRecord | undefined> {
  const link = fromLogLink(word);
  const [ns, name] = link ?? (word.includes("/") ? word.split("/", 2) : [undefined, word]);
  if (!name || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) return undefined;
  for (const namespace of ns ? [ns] : runNamespaces(services.commands.config)) {
    const run = await services.commands.store.get(namespace, name);
    if (run) return run;
  }
  return undefined;
}

/** `/mario status <run>`: state, tasks, log link. Needs read access to the run's repository. */
export async function statusVerb(ctx: SlackVerbContext): Promise<void> {
  const word = ctx.text.words[0]?.replace(/^<|>$/g, "").split("|")[0];
  if (!word) return ctx.say(`Which run? Usage: ${slackCode(`${ctx.event.command} status <run name>`)} (the name is in the run's log link).`);
  const run = await findRun(ctx.services, word);
  if (!run) return ctx.say(`I don't know a run called ${slackCode(word)}.`);
  const access = await checkAccess(ctx.services, ctx.event.user, run.meta.repo, "read", "Showing a run");
  if (!access.ok) return ctx.say(access.message);

  const view = stateView(run.status.state);
  const done = run.tasks.filter((t) => t.state !== "pending" && t.state !== "running").length;
  const lines = [
    `${view.icon} *${view.title}*: ${slackCode(run.meta.commandLine)} on ${slackRunTarget(run.meta)}, requested by ${escapeSlack(`@${run.meta.requester}`)}`,
    `Run ${slackCode(`${run.meta.namespace}/${run.meta.name}`)} · ${slackLink(runLogUrl(ctx.services.publicUrl, run.meta), "Logs")}`,
  ];
  if (run.tasks.length) {
    lines.push(`Tasks (${done}/${run.tasks.length} done):`, ...run.tasks.map((t) => `• ${slackCode(t.name)} ${t.state}${t.reason && t.state === "failed" ? ` (${escapeSlack(t.reason)})` : ""}`));
  }
  const image = imageReference(run.status.results);
  if (image) lines.push(`Image: ${slackCode(image)}`);
  return ctx.say(lines.join("\n"));
}
