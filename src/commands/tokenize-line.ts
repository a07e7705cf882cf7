/**
 * Splits the text after a command's verb into positional words and `key=value` arguments.
 * One left-to-right pass, no regex backtracking; the first problem found is reported and ends the line.
 */

import type { ParseLimits } from "./command-types.js";

export interface LineArguments {
  positional: string[];
  named: Record<string, string>;
}

export interface ArgumentProblem {
  argument?: string;
  message: string;
}

export type TokenizeResult = { ok: true; args: LineArguments } | { ok: false; error: ArgumentProblem };

type Limits = Pick<ParseLimits, "maxArgLength" | "maxArgs">;

const KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", n: "\n", t: "\t" };

/** Space and tab, plus other Unicode spaces (NBSP, U+3000, ...) so a pasted odd space still separates. */
export function isSeparator(code: number): boolean {
  if (code === 0x20 || code === 0x09) return true;
  return code >= 0x80 && /\s/.test(String.fromCharCode(code));
}

/** Quotes a piece of user text in a message without letting a huge token flood the reply. */
export function label(text: string, max = 40): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut + "…";
}

function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function hex(code: number): string {
  return "U+" + code.toString(16).toUpperCase().padStart(4, "0");
}

class Problem extends Error {
  constructor(
    readonly problem: ArgumentProblem,
  ) {
    super(problem.message);
  }
}

export function tokenizeArguments(text: string, limits: Limits): TokenizeResult {
  try {
    return { ok: true, args: new Tokenizer(text, limits).run() };
  } catch (e) {
    if (e instanceof Problem) return { ok: false, error: e.problem };
    throw e;
  }
}

class Tokenizer {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly limits: Limits,
  ) {}

  run(): LineArguments {
    const positional: string[] = [];
    const named: Record<string, string> = {};
    let count = 0;
    for (;;) {
      this.skipSeparators();
      if (this.pos >= this.text.length) break;
      const arg = this.readArgument();
      if (++count > this.limits.maxArgs) {
        throw new Problem({
          message: `more than ${this.limits.maxArgs} arguments on one line; at most ${this.limits.maxArgs} are allowed`,
        });
      }
      if (arg.key === undefined) {
        this.checkLength(arg.value, `argument \`${label(arg.value)}\``, label(arg.value));
        positional.push(arg.value);
      } else {
        // Object.hasOwn, not `in`: `constructor=x` is a legal key and must not look like a duplicate.
        if (Object.hasOwn(named, arg.key)) {
          throw new Problem({ argument: arg.key, message: `\`${arg.key}\` is given twice; give it once` });
        }
        this.checkLength(arg.value, `\`${arg.key}\``, arg.key);
        named[arg.key] = arg.value;
      }
    }
    return { positional, named };
  }

  private skipSeparators(): void {
    while (this.pos < this.text.length && isSeparator(this.text.charCodeAt(this.pos))) this.pos++;
  }

  /** The whole whitespace-delimited token starting at `start`, for quoting in messages. */
  private tokenAt(start: number): string {
    let end = start;
    while (end < this.text.length && !isSeparator(this.text.charCodeAt(end))) end++;
    return label(this.text.slice(start, end));
  }

  private readArgument(): { key?: string; value: string } {
    const { text } = this;
    const start = this.pos;
    let i = start;
    while (i < text.length && !isSeparator(text.charCodeAt(i)) && text[i] !== "=" && text[i] !== '"') i++;

    if (text[i] === "=") {
      const rawKey = text.slice(start, i);
      if (rawKey === "") {
        const token = this.tokenAt(start);
        throw new Problem({ argument: token, message: `argument \`${token}\` has no key; write it as \`key=value\`` });
      }
      const key = this.checkKey(rawKey);
      this.pos = i + 1;
      return { key, value: this.readValue(key) };
    }
    if (text[i] === '"' && i > start) {
      this.strayQuote(start);
    }
    return { value: this.readValue(undefined) };
  }

  private checkKey(rawKey: string): string {
    if (KEY.test(rawKey)) {
      const key = rawKey.toLowerCase();
      this.checkLength(key, `the key \`${label(key)}\``, label(key));
      return key;
    }
    const shown = label(rawKey);
    const chars = [...rawKey];
    const bad = chars.findIndex((c, n) => !(n === 0 ? /[A-Za-z]/ : /[A-Za-z0-9_.-]/).test(c));
    const c = chars[bad]!;
    const what = bad === 0 && /[0-9_.-]/.test(c) ? `starts with \`${c}\`` : `contains \`${c}\` (${hex(c.codePointAt(0)!)})`;
    throw new Problem({
      argument: shown,
      message: `argument key \`${shown}\` ${what}; keys are ASCII letters, digits, \`_\`, \`-\` and \`.\`, starting with a letter`,
    });
  }

  /** A value or bare word at `pos`: quoted, or everything up to the next separator. */
  private readValue(key: string | undefined): string {
    const { text } = this;
    const start = this.pos;
    if (text[start] === '"') return this.readQuoted(key);
    let i = start;
    while (i < text.length && !isSeparator(text.charCodeAt(i))) {
      if (text[i] === '"') this.strayQuote(key === undefined ? start : start - key.length - 1);
      i++;
    }
    this.pos = i;
    return text.slice(start, i);
  }

  private readQuoted(key: string | undefined): string {
    const { text } = this;
    const open = this.pos;
    const name = () => (key === undefined ? this.tokenAt(open) : key);
    const parts: string[] = [];
    let i = open + 1;
    let chunk = i;
    for (;;) {
      if (i >= text.length) {
        throw new Problem({
          argument: name(),
          message: `the quote opened in \`${name()}\` is never closed; add a closing \`"\``,
        });
      }
      const c = text[i];
      if (c === '"') break;
      if (c === "\\") {
        const next = text[i + 1];
        const replacement = next === undefined ? undefined : ESCAPES[next];
        if (replacement === undefined) {
          if (next === undefined) {
            i++; // a backslash ending the line: report the unclosed quote instead
            continue;
          }
          throw new Problem({
            argument: name(),
            message: `\`${name()}\` contains the unknown escape \`\\${next}\`; inside quotes use \`\\"\`, \`\\\\\`, \`\\n\` or \`\\t\``,
          });
        }
        parts.push(text.slice(chunk, i), replacement);
        i += 2;
        chunk = i;
        continue;
      }
      i++;
    }
    parts.push(text.slice(chunk, i));
    this.pos = i + 1;
    if (this.pos < text.length && !isSeparator(text.charCodeAt(this.pos))) {
      throw new Problem({
        argument: name(),
        message: `\`${name()}\` has text right after its closing quote; put a space after the quote`,
      });
    }
    return parts.join("");
  }

  private strayQuote(tokenStart: number): never {
    const token = this.tokenAt(tokenStart);
    throw new Problem({
      argument: token,
      message: `argument \`${token}\` has a quote in the middle; quotes may only surround a whole value, as in \`"two words"\` or \`key="two words"\``,
    });
  }

  private checkLength(value: string, what: string, argument: string): void {
    const max = this.limits.maxArgLength;
    // Cheap bound first: each code point is one or two UTF-16 units.
    if (value.length <= max) return;
    const length = codePointLength(value);
    if (length > max) {
      throw new Problem({ argument, message: `${what} is ${length} characters long; the limit is ${max}` });
    }
  }
}
