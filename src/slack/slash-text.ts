import { isSeparator } from "../commands/tokenize-line.js";

/** A slash command's text split for routing: the verb, the target (`repo=`, `pr=`) and the rest, as typed. */
export interface SlashText {
  verb: string;
  /** Everything after the verb except `repo=` and `pr=`, for the shared parser. */
  rest: string;
  repo?: string;
  pr?: string;
  /** Words after the verb (quotes kept), for Slack's own verbs. */
  words: string[];
}

/**
 * Whitespace-separated tokens, raw, with quoted stretches kept whole (`msg="a b"` is one token). The shared
 * parser checks the grammar afterwards; this only has to find the tokens it must not see.
 */
export function rawTokens(text: string): string[] {
  const tokens: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === "\\" && i + 1 < text.length) {
      current += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (!quoted && isSeparator(text.charCodeAt(i))) {
      if (current) tokens.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  if (current) tokens.push(current);
  return tokens;
}

const unquote = (value: string) => (value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);

/** `build image tag=x pr=12 repo=o/r` → verb `build`, rest `image tag=x`, repo `o/r`, pr `12`. */
export function splitSlashText(text: string): SlashText {
  const [first = "help", ...others] = rawTokens(text);
  const verb = first.replace(/^\//, "").toLowerCase();
  const kept: string[] = [];
  const target: { repo?: string; pr?: string } = {};
  for (const token of others) {
    const m = /^(repo|pr)=(.*)$/is.exec(token);
    if (m) target[m[1]!.toLowerCase() as "repo" | "pr"] = unquote(m[2]!);
    else kept.push(token);
  }
  return { verb, rest: kept.join(" "), words: others, ...target };
}
