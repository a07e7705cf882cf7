import { describe, expect, it } from "vitest";
import { parseCommands } from "../../src/commands/parse-commands.js";
import { bestParseMs, parseBoundMs } from "./parse-time.js";
import type { ParseResult } from "../../src/commands/command-types.js";

interface ExpectedCommand {
  verb: string;
  positional?: string[];
  named?: Record<string, string>;
  line: number;
}

interface ExpectedError {
  line: number;
  argument?: string;
  /** A substring of the message. */
  message: string;
}

interface Case {
  name: string;
  input: string;
  commands?: ExpectedCommand[];
  errors?: ExpectedError[];
}

const cmd = (line: number, verb: string, positional: string[] = [], named: Record<string, string> = {}) => ({
  verb,
  positional,
  named,
  line,
});
const err = (line: number, argument: string | undefined, message: string): ExpectedError => ({
  line,
  argument,
  message,
});

/** Only the fields the tables assert; `raw` has its own tests below. */
function summarize(result: ParseResult) {
  return {
    commands: result.commands.map(({ verb, positional, named, line }) => ({ verb, positional, named, line })),
    errors: result.errors.map(({ line, argument, message }) => ({ line, argument, message })),
  };
}

function expectResult(result: ParseResult, c: Pick<Case, "commands" | "errors">) {
  expect(summarize(result)).toEqual({
    commands: (c.commands ?? []).map((x) => ({ positional: [], named: {}, ...x })),
    errors: (c.errors ?? []).map((e) => ({
      line: e.line,
      argument: e.argument,
      message: expect.stringContaining(e.message),
    })),
  });
}

const grammar: Case[] = [
  { name: "empty input", input: "" },
  { name: "prose only", input: "LGTM, thanks!\nShip it." },
  {
    name: "several commands mixed with prose",
    input: "Thanks for the fix.\n/build image tag=mario\nand then\n/retest\n\nbye",
    commands: [cmd(2, "build", ["image"], { tag: "mario" }), cmd(4, "retest")],
  },
  {
    name: "verbs are case-insensitive and lower-cased",
    input: "/Build\n/RETEST\n/reTest-All_2",
    commands: [cmd(1, "build"), cmd(2, "retest"), cmd(3, "retest-all_2")],
  },
  { name: "keys are lower-cased", input: "/build TAG=x", commands: [cmd(1, "build", [], { tag: "x" })] },
  {
    name: "values keep their case",
    input: "/build image tag=Mario-1.2",
    commands: [cmd(1, "build", ["image"], { tag: "Mario-1.2" })],
  },
  {
    name: "dotted and dashed keys",
    input: "/deploy app.env=prod dry-run=yes",
    commands: [cmd(1, "deploy", [], { "app.env": "prod", "dry-run": "yes" })],
  },
  {
    name: "up to three leading spaces",
    input: " /a\n  /b\n   /c",
    commands: [cmd(1, "a"), cmd(2, "b"), cmd(3, "c")],
  },
  {
    name: "tabs and runs of spaces separate arguments",
    input: "/build \t image   \t tag=x  ",
    commands: [cmd(1, "build", ["image"], { tag: "x" })],
  },
  {
    name: "quoted values with escapes",
    input: String.raw`/deploy msg="say \"hi\"\n\tnow \\ done" "two words"`,
    commands: [cmd(1, "deploy", ["two words"], { msg: 'say "hi"\n\tnow \\ done' })],
  },
  {
    name: "a backslash outside quotes is literal",
    input: String.raw`/run path=C:\temp x\y`,
    commands: [cmd(1, "run", ["x\\y"], { path: "C:\\temp" })],
  },
  {
    name: "shell syntax is only text to the grammar",
    input: "/build tag=$(reboot) `id`",
    commands: [cmd(1, "build", ["`id`"], { tag: "$(reboot)" })],
  },
  {
    name: "empty values",
    input: '/build tag= msg=""  ""',
    commands: [cmd(1, "build", [""], { tag: "", msg: "" })],
  },
  { name: "value is everything after the first =", input: "/x a==b", commands: [cmd(1, "x", [], { a: "=b" })] },
  {
    name: "quoted positional containing =",
    input: '/x "a=b"',
    commands: [cmd(1, "x", ["a=b"])],
  },
  {
    name: "non-ASCII values and words are allowed",
    input: "/note msg=héllo 日本 tag=“x”",
    commands: [cmd(1, "note", ["日本"], { msg: "héllo", tag: "“x”" })],
  },
  {
    name: "keys that are Object.prototype names",
    input: "/x constructor=1 toString=2 hasOwnProperty=3",
    commands: [cmd(1, "x", [], { constructor: "1", tostring: "2", hasownproperty: "3" })],
  },
  {
    name: "non-breaking and ideographic spaces separate",
    input: "/x\u00a0a\u3000b",
    commands: [cmd(1, "x", ["a", "b"])],
  },
  { name: "a command at the very end without newline", input: "text\n/retest", commands: [cmd(2, "retest")] },
  {
    name: "CRLF line endings",
    input: "hi\r\n/build image\r\n/retest\r\n",
    commands: [cmd(2, "build", ["image"]), cmd(3, "retest")],
  },
  {
    name: "CR line endings",
    input: "hi\r/build\r/retest",
    commands: [cmd(2, "build"), cmd(3, "retest")],
  },
  { name: "exactly 16 arguments", input: "/x" + " a".repeat(16), commands: [cmd(1, "x", Array(16).fill("a"))] },
  {
    name: "an argument of exactly 256 characters",
    input: `/x tag=${"a".repeat(256)}`,
    commands: [cmd(1, "x", [], { tag: "a".repeat(256) })],
  },
  {
    name: "length counts characters, not UTF-16 units",
    input: `/x tag=${"😀".repeat(256)}`,
    commands: [cmd(1, "x", [], { tag: "😀".repeat(256) })],
  },
];

const notCommands: Case[] = [
  { name: "a path", input: "/usr/local/bin is missing" },
  { name: "/usr/bin/env", input: "/usr/bin/env node" },
  { name: "slash then space", input: "/ 2" },
  { name: "double slash", input: "//comment" },
  { name: "slash and digit", input: "/2nd try" },
  { name: "verb followed by punctuation", input: "/build, please\n/retest." },
  { name: "fullwidth slash", input: "／build" },
  { name: "division slash", input: "∕build" },
  { name: "fraction slash", input: "⁄build" },
  { name: "big solidus", input: "⧸build" },
  { name: "Armenian look-alike in the verb", input: "/bսild" },
  { name: "Cyrillic look-alike first letter", input: "/вuild" },
  { name: "Cyrillic а inside the verb", input: "/bаild tag=x" },
  { name: "not at the start of the line", input: "please /build" },
  { name: "list item", input: "- /build" },
  { name: "inline code", input: "`/build`" },
  { name: "zero-width space after the verb", input: "/build\u200b" },
];

const ignoredRegions: Case[] = [
  { name: "``` fence", input: "```\n/build\n```", commands: [] },
  {
    name: "``` fence with info string, command after it",
    input: "```sh\n/build\n```\n/retest",
    commands: [cmd(4, "retest")],
  },
  { name: "~~~ fence", input: "~~~\n/build\n~~~\n/retest", commands: [cmd(4, "retest")] },
  {
    name: "fence closes only with the same char and at least the same length",
    input: "````\n/a\n```\n~~~~\n/b\n````\n/c",
    commands: [cmd(7, "c")],
  },
  { name: "unclosed fence runs to the end", input: "/a\n```\n/b\n/c", commands: [cmd(1, "a")] },
  {
    name: "inline code with triple backticks is not a fence",
    input: "```inline``` code\n/build",
    commands: [cmd(2, "build")],
  },
  { name: "indented fence", input: "   ```\n/a\n   ```\n/b", commands: [cmd(4, "b")] },
  { name: "block quote", input: "> /build\n\n/retest", commands: [cmd(3, "retest")] },
  { name: "nested block quote", input: "> > /build\n>> /deploy\n  > /x", commands: [] },
  { name: "4-space indentation", input: "    /build\n/retest", commands: [cmd(2, "retest")] },
  { name: "tab indentation", input: "\t/build\n  \t/deploy", commands: [] },
  { name: "HTML comment on one line", input: "<!-- /build -->\n/retest", commands: [cmd(2, "retest")] },
  {
    name: "multi-line HTML comment",
    input: "<!--\n/build\n/deploy\n-->\n/retest",
    commands: [cmd(5, "retest")],
  },
  { name: "unclosed HTML comment runs to the end", input: "/a\n<!--\n/b", commands: [cmd(1, "a")] },
  {
    name: "text after a comment closes is read",
    input: "<!-- template -->/build\n<!--\nx --> /retest",
    commands: [cmd(1, "build"), cmd(3, "retest")],
  },
  {
    name: "a comment inside a command line is cut out",
    input: "/build image <!-- hidden=1 --> tag=x",
    commands: [cmd(1, "build", ["image"], { tag: "x" })],
  },
  { name: "a fence inside a comment does not open", input: "<!--\n```\n-->\n/build", commands: [cmd(4, "build")] },
  { name: "a comment inside a fence is literal", input: "```\n<!--\n```\n/build", commands: [cmd(4, "build")] },
  {
    name: "errors inside ignored regions are not reported",
    input: '```\n/build tag="x\n```\n> /x a=1 a=2\n    /y "\n<!-- /z \0 -->',
    commands: [],
  },
];

/**
 * Where a line-based reading and CommonMark (as GitHub renders comments) part ways. Each case says what a
 * reader of the rendered comment sees: a line shown inside a quote, a <pre> or a code block is not a request.
 */
const commonMark: Case[] = [
  // Block quotes: a line right after a quoted paragraph, without a blank line, is a lazy continuation of the quote.
  { name: "a line right after a quoted line is still quoted", input: "> quoted\n/build image", commands: [] },
  { name: "the quote goes on over several lazy lines", input: "> quoted\nmore text\n/build image\n\n/retest", commands: [cmd(5, "retest")] },
  { name: "a blank line ends the quote", input: "> quoted\n\n/build image", commands: [cmd(3, "build", ["image"])] },
  { name: "a quote nested in a list item continues lazily too", input: "- item\n  > quoted\n/build image", commands: [] },
  { name: "a list item inside a quote continues lazily", input: "> - item\n/build image", commands: [] },
  { name: "a list item quoting a paragraph", input: "- > quoted\n/build image", commands: [] },
  { name: "an empty quote line has no paragraph to continue", input: ">\n/build image", commands: [cmd(2, "build", ["image"])] },
  { name: "a quoted heading has no paragraph to continue", input: "> # Title\n/build image", commands: [cmd(2, "build", ["image"])] },
  { name: "a fence in a quote is not continued lazily", input: "> ```\n/build image", commands: [cmd(2, "build", ["image"])] },
  { name: "a heading ends the quote", input: "> quoted\n# Now\n/build image", commands: [cmd(3, "build", ["image"])] },
  { name: "a thematic break ends the quote", input: "> quoted\n---\n/build image", commands: [cmd(3, "build", ["image"])] },
  { name: "a fence interrupts the quote and hides its content", input: "> quoted\n```\n/build image\n```\n/retest", commands: [cmd(5, "retest")] },
  { name: "an HTML comment line ends the quote", input: "> quoted\n<!-- note -->\n/build image", commands: [cmd(3, "build", ["image"])] },
  { name: "a comment opened in a lazy line is still tracked", input: "> quoted\nlazy <!--\n/build\n-->\n\n/retest", commands: [cmd(6, "retest")] },
  // HTML blocks of type 1 (<pre>, <script>, <style>, <textarea>): raw until the line with a closing tag.
  { name: "<pre> block", input: "<pre>\n/build image\n</pre>\n/retest", commands: [cmd(4, "retest")] },
  { name: "<pre> with attributes, any case, indented", input: '  <PRE class="log">\n/build image\n/deploy\n  </Pre>\n/retest', commands: [cmd(5, "retest")] },
  { name: "<pre> closed on its own line", input: "<pre>/build</pre>\n/retest", commands: [cmd(2, "retest")] },
  { name: "the command on the closing line is inside it", input: "<pre>\n/build image </pre>\n/retest", commands: [cmd(3, "retest")] },
  { name: "unclosed <pre> runs to the end", input: "/a\n<pre>\n/b\n\n/c", commands: [cmd(1, "a")] },
  { name: "<script>, <style> and <textarea> blocks", input: "<script>\n/a\n</script>\n<style>\n/b\n</style>\n<textarea>\n/c\n</textarea>\n/d", commands: [cmd(10, "d")] },
  { name: "any of the four closing tags ends the block", input: "<pre>\n/a\n</textarea>\n/b", commands: [cmd(4, "b")] },
  { name: "<prefix> is not <pre> (its HTML block's text shows)", input: "<prefix>\n/build", commands: [cmd(2, "build")] },
  { name: "a list item ends the quote, and its paragraph is read", input: "> quoted\n- item\n/build", commands: [cmd(3, "build")] },
  { name: "<pre> in a list item", input: "- item\n  <pre>\n  /build\n  </pre>\n/retest", commands: [cmd(5, "retest")] },
  { name: "<pre> inside a quote ends with the quote", input: "> <pre>\n/build image", commands: [cmd(2, "build", ["image"])] },
  // Fences inside list items are indented by the item's content offset, and their content is as deep as the item.
  { name: "a fence on the list item's own line", input: "- ```\n  /build\n  ```\n/retest", commands: [cmd(4, "retest")] },
  { name: "a fence indented four spaces in a list item", input: "* item\n    ```\n  /build\n    ```\n/retest", commands: [cmd(5, "retest")] },
  { name: "after a blank line in a list item", input: "- item\n\n    ~~~\n  /build image\n    ~~~\n/retest", commands: [cmd(6, "retest")] },
  { name: "in a nested list item", input: "1. one\n   - two\n       ```\n     /build\n       ```\n/retest", commands: [cmd(6, "retest")] },
  { name: "an ordered item with a wide marker", input: "10. ten\n     ```\n    /build\n     ```\n/retest", commands: [cmd(5, "retest")] },
  { name: "a line less indented than the item ends it and its fence", input: "- ```\n/build\n", commands: [cmd(2, "build")] },
  { name: "four spaces outside a list are indented code, not a fence", input: "text\n\n    ```\n/build", commands: [cmd(4, "build")] },
  { name: "a list item ends at an unindented paragraph after a blank line", input: "- item\n\nSome text\n\n    ```\n/build", commands: [cmd(6, "build")] },
  { name: "a command lazily continuing a list item's paragraph is read", input: "- item\n/build image", commands: [cmd(2, "build", ["image"])] },
];

const errors: Case[] = [
  {
    name: "argument too long",
    input: `/build tag=${"a".repeat(300)}`,
    errors: [err(1, "tag", "`tag` is 300 characters long; the limit is 256")],
  },
  {
    name: "positional too long",
    input: `/build ${"b".repeat(257)}`,
    errors: [err(1, "b".repeat(39) + "…", "is 257 characters long; the limit is 256")],
  },
  {
    name: "unbalanced quote",
    input: '/deploy msg="hello world',
    errors: [err(1, "msg", "never closed")],
  },
  { name: "unbalanced quote on a positional", input: '/deploy "hello', errors: [err(1, '"hello', "never closed")] },
  {
    name: "backslash before the end of an open quote",
    input: '/deploy msg="a\\',
    errors: [err(1, "msg", "never closed")],
  },
  {
    name: "duplicated key",
    input: "/build tag=a tag=b",
    errors: [err(1, "tag", "given twice")],
  },
  { name: "duplicated key differing in case", input: "/build tag=a TAG=b", errors: [err(1, "tag", "given twice")] },
  { name: "unknown escape", input: String.raw`/deploy msg="a\qb"`, errors: [err(1, "msg", "unknown escape `\\q`")] },
  { name: "argument with no key", input: "/build =x", errors: [err(1, "=x", "has no key")] },
  { name: "stray quote in a word", input: '/build ta"g', errors: [err(1, 'ta"g', "quote in the middle")] },
  { name: "stray quote in a key", input: '/build ta"g=1', errors: [err(1, 'ta"g=1', "quote in the middle")] },
  { name: "stray quote in a value", input: '/build tag=a"b', errors: [err(1, 'tag=a"b', "quote in the middle")] },
  { name: "text after a closing quote", input: '/build "a"b', errors: [err(1, '"a"b', "after its closing quote")] },
  {
    name: "text after a closing quote in a value",
    input: '/build tag="a"b',
    errors: [err(1, "tag", "after its closing quote")],
  },
  {
    name: "Cyrillic look-alike in a key",
    input: "/build tаg=x",
    errors: [err(1, "tаg", "`а` (U+0430)")],
  },
  { name: "key starting with a digit", input: "/build 1tag=x", errors: [err(1, "1tag", "starts with `1`")] },
  { name: "key with punctuation", input: "/build t/g=x", errors: [err(1, "t/g", "contains `/`")] },
  {
    name: "too many arguments",
    input: "/x" + " a".repeat(17),
    errors: [err(1, undefined, "more than 16 arguments")],
  },
  { name: "NUL in the line", input: "/build tag=a\0b", errors: [err(1, undefined, "control character (U+0000)")] },
  { name: "NUL right after the verb", input: "/build\0", errors: [err(1, undefined, "U+0000")] },
  { name: "escape character", input: "/build \x1b[31m", errors: [err(1, undefined, "U+001B")] },
  {
    name: "bidi override",
    input: "/deploy env=prod\u202e",
    errors: [err(1, undefined, "text-direction character (U+202E)")],
  },
  {
    name: "an error drops only its own line",
    input: "/build tag=a tag=b\nok\n/retest\n/deploy \"x",
    commands: [cmd(3, "retest")],
    errors: [err(1, "tag", "given twice"), err(4, '"x', "never closed")],
  },
];

describe("parseCommands", () => {
  describe.each([
    ["grammar", grammar],
    ["not commands", notCommands],
    ["ignored regions", ignoredRegions],
    ["CommonMark as GitHub renders it", commonMark],
    ["errors", errors],
  ] as const)("%s", (_group, table) => {
    it.each(table)("$name", (c) => {
      expectResult(parseCommands(c.input), c);
    });
  });

  describe("limits", () => {
    const MB = 1024 * 1024;
    const logLine = "2024-01-01T00:00:00Z INFO step 3/7 /usr/local/bin/node /work/app.js done\n";

    it("a 1 MB comment with a command gives one size error and nothing else", () => {
      const input = "/build image\n" + logLine.repeat(Math.ceil(MB / logLine.length));
      const bytes = Buffer.byteLength(input);
      const result = parseCommands(input);
      expect(result.commands).toEqual([]);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]!.line).toBeLessThanOrEqual(1);
      expect(result.errors[0]!.message).toContain(`${bytes} bytes`);
      expect(result.errors[0]!.message).toContain("65536");
      expect(result.errors[0]!.message).toContain("nothing was run");
      expect(result.errors[0]!.raw.length).toBeLessThanOrEqual(80);
      expect(result.errors[0]!.raw).not.toMatch(/\n/);
    });

    it("a 1 MB comment with the command at the end still gets the size error", () => {
      const result = parseCommands(logLine.repeat(Math.ceil(MB / logLine.length)) + "  /retest");
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]!.message).toContain("the limit is 65536");
    });

    it("a 1 MB comment with no command line gives nothing", () => {
      const input = ("/usr/bin/env failed\n" + logLine + "    /build\n").repeat(MB / 64);
      expect(Buffer.byteLength(input)).toBeGreaterThan(MB);
      expect(parseCommands(input)).toEqual({ commands: [], errors: [] });
    });

    it("size is measured in UTF-8 bytes", () => {
      const input = "/build\n" + "é".repeat(40_000); // 80 007 bytes, 40 007 UTF-16 units
      expect(parseCommands(input).errors[0]!.message).toContain("80007 bytes");
      expect(parseCommands(input, { maxBytes: 100_000 }).commands).toHaveLength(1);
    });

    it("500 commands give one error and no commands", () => {
      const result = parseCommands("/retest\n".repeat(500));
      expect(result.commands).toEqual([]);
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]!.message).toContain("500 commands in one comment; at most 20 are allowed");
      expect(result.errors[0]!.message).toContain("nothing was run");
    });

    it("lines with errors count as commands too", () => {
      const result = parseCommands('/x "\n'.repeat(21));
      expect(result.errors).toHaveLength(1);
      expect(result.errors[0]!.message).toContain("21 commands");
    });

    it("exactly 20 commands are all returned", () => {
      const result = parseCommands("/retest\n".repeat(20));
      expect(result.errors).toEqual([]);
      expect(result.commands.map((c) => c.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it("limits can be overridden one at a time", () => {
      expect(parseCommands("/a\n/b\n/c", { maxCommands: 2 }).errors[0]!.message).toContain("3 commands");
      expect(parseCommands("/a x y", { maxArgs: 1 }).errors[0]!.message).toContain("at most 1 are allowed");
      expect(parseCommands("/a tag=abc", { maxArgLength: 2 }).errors[0]!.message).toContain("the limit is 2");
      expect(parseCommands("/a\n" + "x".repeat(100), { maxBytes: 50 }).errors[0]!.message).toContain("limit is 50");
    });
  });

  describe("raw", () => {
    it("is the trimmed source line", () => {
      const result = parseCommands("  /build  image <!-- x -->  \n   /x a=1 a=2  ");
      expect(result.commands[0]!.raw).toBe("/build  image <!-- x -->");
      expect(result.errors[0]!.raw).toBe("/x a=1 a=2");
    });

    it("is cut to 200 characters with an ellipsis", () => {
      const raw = parseCommands(`/build tag=${"a".repeat(1000)}`).errors[0]!.raw;
      expect(raw).toHaveLength(200);
      expect(raw.endsWith("…")).toBe(true);
    });

    it("does not split a surrogate pair when cut", () => {
      const raw = parseCommands(`/build${" 😀".repeat(200)}`).errors[0]!.raw;
      expect(raw.length).toBeLessThanOrEqual(200);
      expect(raw).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    });

    it("replaces control characters so the line can be quoted", () => {
      expect(parseCommands("/build tag=a\0b").errors[0]!.raw).toBe("/build tag=a\uFFFDb");
    });
  });

  describe("robustness", () => {
    it.each([
      ["lone surrogates", "/build tag=\uD800 \uDC00x"],
      ["NUL-only", "\0\0\0"],
      ["a huge line", "/build " + '"'.repeat(60_000)],
      ["backslashes", '/x "' + "\\".repeat(60_000)],
      ["a non-string", undefined as unknown as string],
    ])("does not throw on %s", (_name, input) => {
      expect(() => parseCommands(input)).not.toThrow();
    });

    it("keeps lone surrogates in values (validation happens per command)", () => {
      expect(parseCommands("/build tag=\uD800").commands[0]!.named).toEqual({ tag: "\uD800" });
    });

    const adversarial: [string, string][] = [
      ["many short commands", "/a b\n".repeat(13_000)],
      ["one long argument line", "/x " + "a=b ".repeat(16_000)],
      ["an unclosed quote of escapes", '/x "' + '\\"'.repeat(30_000)],
      ["unclosed comments", "<!--".repeat(16_000)],
      ["comment openers per line", "<!-- x\n-->\n".repeat(5_900)],
      ["fences", "```\n".repeat(16_000)],
      ["near-fences", "``\n~~\n".repeat(10_000)],
      ["slashes", "/".repeat(65_000)],
      ["verb-like", "/a".repeat(32_000)],
      ["long verb", "/" + "a".repeat(65_000)],
      ["spaces", " ".repeat(65_000) + "/x"],
      ["indent then slash", "   /aaaaaaaaaaa\u200b\n".repeat(3_000)],
    ];
    // Time in linear bounds (parse-time.ts): what these inputs would expose is a quadratic or backtracking path,
    // which takes seconds on 64 KiB; how fast the parser is belongs to `npm run bench`.
    it.each(adversarial)("parses 64 KiB of %s within the parser's time bound", (_name, input) => {
      expect(Buffer.byteLength(input)).toBeLessThanOrEqual(64 * 1024);
      parseCommands(input); // warm up the JIT so that one cold run does not decide
      expect(bestParseMs(input)).toBeLessThan(parseBoundMs(input));
    });
  });
});
