/**
 * The one command grammar shared by GitHub PR comments and Slack slash commands:
 * a line `/verb word key=value key="quoted value"`, outside code blocks, quotes and HTML comments.
 * See docs in command-types.ts for the result; argument values are validated later, per command.
 */

import { defaultParseLimits } from "./command-types.js";
import type { ParsedCommand, ParseError, ParseLimits, ParseResult } from "./command-types.js";
import { visibleLines } from "./markdown-regions.js";
import { isSeparator, tokenizeArguments } from "./tokenize-line.js";

const RAW_MAX = 200;
const SIZE_ERROR_RAW_MAX = 80;

/**
 * Characters refused anywhere on a command line: C0/C1 controls except tab, and the bidi overrides and
 * isolates that can make a quoted line read differently from what runs ("Trojan Source").
 */
const FORBIDDEN = "\\x00-\\x08\\x0a-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069";
const FORBIDDEN_CHAR = new RegExp(`[${FORBIDDEN}]`);
const VERB = /\/([A-Za-z][A-Za-z0-9_-]*)/y;
/**
 * Whether a text too big to read might hold a command. One anchored pass with a single greedy run
 * before a disjoint class, so it stays linear on megabyte inputs.
 */
const POSSIBLE_COMMAND = new RegExp(`^ {0,3}/[A-Za-z][A-Za-z0-9_-]*(?:[\\s${FORBIDDEN}]|$)`, "m");

const LINE_BREAK = /\r\n|\r|\n/;
const UNQUOTABLE = new RegExp(
  `[${FORBIDDEN}]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]`,
  "g",
);

function hex(code: number): string {
  return "U+" + code.toString(16).toUpperCase().padStart(4, "0");
}

/** The line as it may be quoted back: trimmed, short, and with nothing that could upset a reply. */
function quotable(line: string, max = RAW_MAX): string {
  let text = line.trim();
  if (text.length > max) {
    text = text.slice(0, max - 1);
    if (/[\uD800-\uDBFF]$/.test(text)) text = text.slice(0, -1);
    text += "…";
  }
  return text.replace(UNQUOTABLE, "\uFFFD");
}

function resolveLimits(limits: Partial<ParseLimits> | undefined): ParseLimits {
  const resolved = { ...defaultParseLimits };
  for (const key of Object.keys(resolved) as (keyof ParseLimits)[]) {
    const value = limits?.[key];
    if (typeof value === "number" && !Number.isNaN(value)) resolved[key] = value;
  }
  return resolved;
}

/** UTF-8 size, without encoding when the UTF-16 length already decides (1 unit is 1 to 3 bytes). */
function byteLengthOver(text: string, max: number): number | undefined {
  if (text.length * 3 <= max) return undefined;
  const bytes = Buffer.byteLength(text, "utf8");
  return bytes > max ? bytes : undefined;
}

/** `/verb` at the start of a visible line, followed by the end of the line or a space. */
function matchVerb(text: string): { verb: string; rest: string } | undefined {
  let i = 0;
  while (text[i] === " ") i++; // at most 3: deeper indentation was dropped as a code block
  VERB.lastIndex = i;
  const m = VERB.exec(text);
  if (!m) return undefined;
  const end = VERB.lastIndex;
  if (end < text.length) {
    const next = text.charCodeAt(end);
    // A forbidden character right after the verb still makes a command, so that it is reported.
    if (!isSeparator(next) && !FORBIDDEN_CHAR.test(text[end]!)) return undefined;
  }
  return { verb: m[1]!, rest: text.slice(end) };
}

type LineOutcome = { command: Omit<ParsedCommand, "line" | "raw"> } | { error: Omit<ParseError, "line" | "raw"> };

function parseLine(text: string, verb: string, rest: string, limits: ParseLimits): LineOutcome {
  const forbidden = FORBIDDEN_CHAR.exec(text);
  if (forbidden) {
    const code = forbidden[0].charCodeAt(0);
    const kind = code >= 0x202a ? "an invisible text-direction character" : "a control character";
    return { error: { message: `the line contains ${kind} (${hex(code)}); remove it and try again` } };
  }
  if (verb.length > limits.maxArgLength) {
    return {
      error: { message: `the command name is ${verb.length} characters long; the limit is ${limits.maxArgLength}` },
    };
  }
  const tokens = tokenizeArguments(rest, limits);
  if (!tokens.ok) return { error: tokens.error };
  return { command: { verb: verb.toLowerCase(), ...tokens.args } };
}

/**
 * Finds the commands in a PR comment or Slack message. Never throws; problems come back as errors,
 * and a line with an error yields no command.
 */
export function parseCommands(text: string, limits?: Partial<ParseLimits>): ParseResult {
  if (typeof text !== "string") return { commands: [], errors: [] };
  const lim = resolveLimits(limits);

  const bytes = byteLengthOver(text, lim.maxBytes);
  if (bytes !== undefined) {
    // A huge paste (a build log) with no command line gets no reply at all.
    if (!POSSIBLE_COMMAND.test(text)) return { commands: [], errors: [] };
    // The start of the text on one line: enough to recognise the comment, safe to quote.
    const head = text.slice(0, SIZE_ERROR_RAW_MAX + 1).replace(/\s+/g, " ");
    return {
      commands: [],
      errors: [
        {
          line: 1,
          raw: quotable(head, SIZE_ERROR_RAW_MAX),
          message: `this comment is ${bytes} bytes; the limit is ${lim.maxBytes} bytes, so it was not read for commands — nothing was run`,
        },
      ],
    };
  }

  const lines = text.split(LINE_BREAK);
  const commands: ParsedCommand[] = [];
  const errors: ParseError[] = [];
  let found = 0;
  let firstOverLimit: number | undefined;

  for (const { index, text: visible } of visibleLines(lines)) {
    const head = matchVerb(visible);
    if (!head) continue;
    found++;
    if (found > lim.maxCommands) {
      firstOverLimit ??= index; // keep counting for the message, but parse nothing more
      continue;
    }
    const line = index + 1;
    const raw = quotable(lines[index]!);
    const outcome = parseLine(visible, head.verb, head.rest, lim);
    if ("command" in outcome) commands.push({ ...outcome.command, line, raw });
    else errors.push({ line, raw, ...outcome.error });
  }

  if (firstOverLimit !== undefined) {
    return {
      commands: [],
      errors: [
        {
          line: firstOverLimit + 1,
          raw: quotable(lines[firstOverLimit]!),
          message: `${found} commands in one comment; at most ${lim.maxCommands} are allowed — nothing was run`,
        },
      ],
    };
  }
  return { commands, errors };
}
