/** What the grammar produces. Shared by GitHub comments and Slack slash commands. */

export interface ParsedCommand {
  /** Lower-cased verb, without the slash: `/Build` → `build`. */
  verb: string;
  /** Bare words after the verb, in order (`/build image` → `["image"]`). Quotes removed, escapes resolved. */
  positional: string[];
  /** `key=value` arguments. Keys are lower-cased; a key given twice is a parse error, not a silent overwrite. */
  named: Record<string, string>;
  /** 1-based line number in the input text. */
  line: number;
  /** The source line, trimmed, for quoting back to the user. */
  raw: string;
}

export interface ParseError {
  line: number;
  /** The source line, trimmed and cut to a readable length. */
  raw: string;
  /** The argument concerned (its key, or the bare word), when the error is about one argument. */
  argument?: string;
  /** A sentence for humans: what is wrong and, where possible, how to fix it. */
  message: string;
}

export interface ParseResult {
  commands: ParsedCommand[];
  errors: ParseError[];
}

export interface ParseLimits {
  /** Inputs longer than this (UTF-8 bytes) are not scanned for commands. */
  maxBytes: number;
  /** More commands than this in one input is an error and none of them run. */
  maxCommands: number;
  /** Longest single argument value (characters). */
  maxArgLength: number;
  /** Most arguments (positional + named) on one command line. */
  maxArgs: number;
}

export const defaultParseLimits: ParseLimits = {
  maxBytes: 64 * 1024,
  maxCommands: 20,
  maxArgLength: 256,
  maxArgs: 16,
};
