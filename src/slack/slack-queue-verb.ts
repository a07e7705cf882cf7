import { repoFullName } from "../github/repo-full-name.js";
import { parseRepo } from "./channel-settings.js";
import { checkAccess } from "./repo-access.js";
import { escapeSlack, slackCode } from "./slack-text.js";
import type { SlackVerbContext } from "./slack-verbs.js";

/** `/mario queue [owner/name]`: the merge pools of a repository, their PRs in order and what each one lacks. */
export async function queueVerb(ctx: SlackVerbContext): Promise<void> {
  const word = ctx.text.words[0];
  const repo = word ? parseRepo(word) : await ctx.services.channels.boundRepo(ctx.event.channel);
  if (!repo) {
    return ctx.say(word ? `${slackCode(word)} is not a repository; write it as ${slackCode("owner/name")}.` : `Which repository? ${slackCode(`${ctx.event.command} queue owner/name`)}, or bind this channel first.`);
  }
  const access = await checkAccess(ctx.services, ctx.event.user, repo, "read", "Showing the merge queue");
  if (!access.ok) return ctx.say(access.message);
  const pools = ctx.services.queueReader ? await ctx.services.queueReader(repo) : undefined;
  if (!pools) return ctx.say(`The merge queue is not enabled for ${slackCode(repoFullName(repo))}.`);
  if (pools.length === 0 || pools.every((p) => p.pullRequests.length === 0)) return ctx.say(`The merge queue of ${slackCode(repoFullName(repo))} is empty.`);
  const lines = [`*Merge queue of ${escapeSlack(repoFullName(repo))}*`];
  for (const pool of pools) {
    lines.push(`*${escapeSlack(pool.branch)}*${pool.state ? ` — ${escapeSlack(pool.state)}` : ""}`);
    if (pool.pullRequests.length === 0) lines.push("• (empty)");
    for (const pr of pool.pullRequests) {
      const where = pr.position !== undefined ? `${pr.position}. ` : "• ";
      const lacking = pr.missing.length ? ` — missing: ${pr.missing.map(escapeSlack).join(", ")}` : " — ready";
      lines.push(`${where}#${pr.number}${pr.title ? ` ${escapeSlack(pr.title.slice(0, 80))}` : ""}${lacking}`);
    }
  }
  return ctx.say(lines.join("\n"));
}
