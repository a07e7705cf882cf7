/** Slack mrkdwn for text that comes from users or the cluster: it must render as text, never as markup. */

/** Slack's three control characters; everything else is literal in mrkdwn. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Inline code. Slack has no longer fences, so backticks inside are replaced by a look-alike. */
export function slackCode(text: string): string {
  return `\`${escapeSlack(text.replace(/[\r\n]+/g, " ").replace(/`/g, "ˋ"))}\``;
}

/** A fenced block; a fence inside the text would end it early, so backtick runs are broken up. */
export function slackCodeBlock(text: string): string {
  return "```\n" + escapeSlack(text.replace(/```/g, "ˋˋˋ")) + "\n```";
}

export function slackLink(url: string, label: string): string {
  return `<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeSlack(label).replace(/\|/g, "¦")}>`;
}

/** The text Slack sends with a slash command, as the user typed it: entities decoded, smart quotes straightened. */
export function slashCommandText(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/[\u201C\u201D\u201E]/g, '"')
    .replace(/[\r\n]+/g, " ")
    .trim();
}

/**
 * The replies of the shared command handler are GitHub Markdown. In Slack: bold and links in mrkdwn, and
 * commands shown as typed in Slack (`/build` → `/mario build`). Code spans keep their content.
 */
export function markdownToSlack(markdown: string, slashCommand = "/mario"): string {
  const parts = markdown.split(/(`+)([^`]*?)\1/g);
  let out = "";
  // split with two groups yields [text, fence, code, text, fence, code, ...]
  for (let i = 0; i < parts.length; i += 3) {
    out += escapeSlack(parts[i] ?? "")
      .replace(/\*\*([^*]+)\*\*/g, "*$1*")
      .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, "<$2|$1>");
    const code = parts[i + 2];
    if (code !== undefined) out += slackCode(code.trim().replace(/^\/(?=[A-Za-z])/, `${slashCommand} `));
  }
  return out;
}
