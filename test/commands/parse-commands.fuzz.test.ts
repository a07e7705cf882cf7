import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultParseLimits } from "../../src/commands/command-types.js";
import type { ParseResult } from "../../src/commands/command-types.js";
import { parseCommands } from "../../src/commands/parse-commands.js";
import { bestParseMs, parseBoundMs } from "./parse-time.js";

/** Pieces that steer random text towards the grammar's edges. */
const fragment = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "/", "/build", "/Retest", "/usr/bin", "/bսild", "／", "∕", " ", "  ", "    ", "\t", "=", "tag=", "TAG=", "tаg=",
      "==", '"', '""', "\\", '\\"', "\\n", "\\q", "\n", "\r\n", "\r", "```", "~~~", "````sh", ">", "> >", "<!--", "-->", "<pre>", "</pre>", "- ", "1. ", "10) ",
      "\0", "\x1b", "\u202e", "\u00a0", "\u200b", "\uD800", "\uDC00", "😀", "é", "$(reboot)",
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

/** Random text, sometimes repeated up to tens of KiB so that timing is measured on real sizes. */
const messyText = fc
  .tuple(fc.array(fragment, { maxLength: 120 }), fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 150 })))
  .map(([parts, times]) => parts.join("").repeat(times));

const ASCII_VERB = /^[a-z][a-z0-9_-]*$/;
const ASCII_KEY = /^[a-z][a-z0-9_.-]*$/;

function codePoints(s: string): number {
  return [...s].length;
}

function checkShape(input: string, result: ParseResult): void {
  const { maxCommands, maxArgs, maxArgLength } = defaultParseLimits;
  const lineCount = input.split(/\r\n|\r|\n/).length;
  expect(result.commands.length).toBeLessThanOrEqual(maxCommands);
  let previous = 0;
  for (const c of result.commands) {
    expect(c.verb).toMatch(ASCII_VERB);
    expect(Number.isInteger(c.line) && c.line > previous && c.line <= lineCount).toBe(true);
    previous = c.line;
    expect(c.raw.length).toBeLessThanOrEqual(200);
    expect(Object.getPrototypeOf(c.named)).toBe(Object.prototype);
    const keys = Object.keys(c.named);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(key).toMatch(ASCII_KEY);
    expect(c.positional.length + keys.length).toBeLessThanOrEqual(maxArgs);
    for (const value of [...c.positional, ...Object.values(c.named)]) {
      expect(typeof value).toBe("string");
      expect(codePoints(value)).toBeLessThanOrEqual(maxArgLength);
    }
  }
  const commandLines = new Set(result.commands.map((c) => c.line));
  for (const e of result.errors) {
    expect(Number.isInteger(e.line) && e.line >= 0 && e.line <= lineCount).toBe(true);
    expect(commandLines.has(e.line)).toBe(false); // a line with an error yields no command
    expect(e.message.length).toBeGreaterThan(0);
    expect(e.raw.length).toBeLessThanOrEqual(200);
  }
}

describe("parseCommands fuzz", () => {
  it("never throws, returns well-formed results, and stays fast", () => {
    parseCommands("/warm up=1 the JIT"); // so the first measured run is not a cold one
    fc.assert(
      fc.property(messyText, (input) => {
        const result = parseCommands(input);
        checkShape(input, result);
        expect(bestParseMs(input)).toBeLessThan(parseBoundMs(input));
      }),
      { numRuns: 300 },
    );
  });

  it("accepts any string, including lone surrogates and control characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)) }), (s) => {
        checkShape(s, parseCommands(s));
        checkShape("/x " + s, parseCommands("/x " + s));
      }),
      { numRuns: 300 },
    );
  });
});

// --- Round trip: well-formed commands rendered as text parse back exactly. ---

/**
 * Printable text for quoted values: anything but what the grammar refuses (controls, bidi overrides)
 * or reads as an HTML comment even inside quotes (`<!--`, and `-->` which would end the wrapping one).
 */
/** Tab and newline are fine: they are written as `\t` and `\n` inside quotes. */
function refused(code: number): boolean {
  const control = (code < 0x20 && code !== 0x09 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f);
  return control || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}

const printable = fc
  .string({
    unit: fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: 1 }), fc.constantFrom('"', "\\", " ", "\n", "\t")),
    maxLength: 40,
  })
  .filter((s) => [...s].every((c) => !refused(c.codePointAt(0)!)))
  .filter((s) => !s.includes("<!--") && !s.includes("-->"));

const verb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,15}$/);
const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,15}$/);
const bareWord = fc.stringMatching(/^[A-Za-z0-9_./:@+-]{1,20}$/);
const separator = fc.constantFrom(" ", "  ", "\t", " \t ");

type Word = { quoted: boolean; text: string };
interface Command {
  verb: string;
  positional: Word[];
  named: [string, string][];
  seps: string[];
}

const command: fc.Arbitrary<Command> = fc.record({
  verb,
  positional: fc.array(
    fc.oneof(
      bareWord.map((text) => ({ quoted: false, text })),
      printable.map((text) => ({ quoted: true, text })),
    ),
    { maxLength: 6 },
  ),
  named: fc.uniqueArray(fc.tuple(key, printable), { selector: ([k]) => k.toLowerCase(), maxLength: 8 }),
  seps: fc.array(separator, { minLength: 15, maxLength: 15 }),
});

const ESCAPE: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t" };

function quote(text: string): string {
  return '"' + text.replace(/[\\"\n\t]/g, (c) => ESCAPE[c]!) + '"';
}

function render(c: Command): string {
  const args = [
    ...c.positional.map((w) => (w.quoted ? quote(w.text) : w.text)),
    ...c.named.map(([k, v]) => `${k}=${quote(v)}`),
  ];
  return "/" + c.verb + args.map((a, i) => (c.seps[i] ?? " ") + a).join("");
}

describe("parseCommands round trip", () => {
  const commands = fc.array(command, { minLength: 1, maxLength: defaultParseLimits.maxCommands });
  const lineBreak = fc.constantFrom("\n", "\r\n", "\n\nSome prose.\n");

  it("gives back exactly the commands that were rendered", () => {
    fc.assert(
      fc.property(commands, lineBreak, (cs, br) => {
        const text = cs.map(render).join(br);
        const result = parseCommands(text);
        const step = br.split(/\r\n|\r|\n/).length - 1;
        expect(result.errors).toEqual([]);
        expect(result.commands.map(({ raw: _raw, ...c }) => c)).toEqual(
          cs.map((c, i) => ({
            verb: c.verb.toLowerCase(),
            positional: c.positional.map((w) => w.text),
            named: Object.fromEntries(c.named.map(([k, v]) => [k.toLowerCase(), v])),
            line: 1 + i * step,
          })),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("finds nothing when the same commands are fenced, quoted, indented or commented out", () => {
    const wrap = fc.constantFrom(
      (t: string) => "```\n" + t + "\n```",
      (t: string) => "~~~~ text\n" + t,
      (t: string) => t.replace(/^/gm, "> "),
      (t: string) => t.replace(/^/gm, "    "),
      (t: string) => "<!--\n" + t + "\n-->",
      (t: string) => "<pre>\n" + t + "\n</pre>",
      (t: string) => "> quoted, and the lines right after it continue the quote\n" + t,
      (t: string) => "* a list item\n    ```\n" + t.replace(/^/gm, "  ") + "\n    ```",
    );
    fc.assert(
      fc.property(commands, wrap, (cs, w) => {
        expect(parseCommands(w(cs.map(render).join("\n")))).toEqual({ commands: [], errors: [] });
      }),
      { numRuns: 200 },
    );
  });
});
