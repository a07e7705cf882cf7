/**
 * Recognisers for the starts of CommonMark blocks, one line at a time, as `markdown-regions.ts` needs them.
 * Every pattern is anchored and has no nested ambiguity, so each check is linear in the line.
 */

export interface Fence {
  char: string;
  length: number;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/s;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
const MAY_BE_FENCE = /^ {0,3}[`~]/;

export function openFence(line: string): Fence | undefined {
  if (!MAY_BE_FENCE.test(line)) return undefined; // cheap common case before the capturing regex
  const m = FENCE_OPEN.exec(line);
  if (!m) return undefined;
  const run = m[1]!;
  // CommonMark: a backtick fence's info string may not contain a backtick (```x``` is inline code).
  if (run[0] === "`" && m[2]!.includes("`")) return undefined;
  return { char: run[0]!, length: run.length };
}

export function closesFence(line: string, fence: Fence): boolean {
  const m = FENCE_CLOSE.exec(line);
  return m !== null && m[1]![0] === fence.char && m[1]!.length >= fence.length;
}

/**
 * The whitespace from `at` on: its width in columns (a tab advances to the next multiple of 4, counted from
 * `column`, the column of `at`) and the index and column where the text after it starts.
 */
export function leadingSpace(line: string, at = 0, column = 0): { width: number; at: number; column: number } {
  let col = column;
  for (; at < line.length; at++) {
    if (line[at] === " ") col++;
    else if (line[at] === "\t") col += 4 - (col % 4);
    else break;
  }
  return { width: col - column, at, column: col };
}

const ATX_HEADING = /^#{1,6}(?:[ \t]|$)/;

function isThematicBreak(text: string): boolean {
  const c = text[0];
  if (c !== "-" && c !== "*" && c !== "_") return false;
  let count = 0;
  for (const ch of text) {
    if (ch === c) count++;
    else if (ch !== " " && ch !== "\t") return false;
  }
  return count >= 3;
}

/** A heading or a thematic break: one-line blocks that leave no paragraph open. */
export function isHeadingOrBreak(text: string): boolean {
  return ATX_HEADING.test(text) || isThematicBreak(text);
}

// CommonMark's HTML block start conditions. Type 1 (`<pre>`…) is raw until a closing tag; types 6 and 7 until a
// blank line; type 2 is the comment, which `stripHtmlComments` follows wherever it starts.
const HTML_RAW = /^<(?:pre|script|style|textarea)(?:[ \t>]|$)/i;
const HTML_RAW_CLOSE = /<\/(?:pre|script|style|textarea)>/i;
const HTML_BLOCK_TAG =
  /^<\/?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?:[ \t>]|\/>|$)/i;
const HTML_LONE_TAG =
  /^(?:<[A-Za-z][A-Za-z0-9-]*(?:[ \t]+[A-Za-z_:][A-Za-z0-9_.:-]*(?:[ \t]*=[ \t]*(?:[^ \t"'=<>`]+|'[^']*'|"[^"]*"))?)*[ \t]*\/?>|<\/[A-Za-z][A-Za-z0-9-]*[ \t]*>)[ \t]*$/;

export type HtmlBlock = "raw" | "comment" | "until-blank" | "lone-tag";

/** Which HTML block `text` (at most 3 columns in) starts; a `lone-tag` block (type 7) cannot interrupt a paragraph. */
export function htmlBlockStart(text: string): HtmlBlock | undefined {
  if (text[0] !== "<") return undefined;
  if (HTML_RAW.test(text)) return "raw";
  if (text.startsWith("<!--")) return "comment";
  if (HTML_BLOCK_TAG.test(text)) return "until-blank";
  return text.length <= 2000 && HTML_LONE_TAG.test(text) ? "lone-tag" : undefined;
}

export function closesRawHtml(line: string): boolean {
  return HTML_RAW_CLOSE.test(line);
}

export interface ListMarker {
  end: number;
  /** Nothing after the marker on its line. */
  empty: boolean;
  /** Only these may interrupt a paragraph: a non-empty bullet, or a non-empty ordered item starting at 1. */
  interrupts: boolean;
}

/** A list item marker at `at`: `-`, `+`, `*`, or up to 9 digits and `.` or `)`, then whitespace or the end. */
export function listMarker(line: string, at: number): ListMarker | undefined {
  const c = line[at];
  let end = at;
  if (c === "-" || c === "+" || c === "*") end++;
  else {
    while (end - at < 9 && line[end] !== undefined && line[end]! >= "0" && line[end]! <= "9") end++;
    if (end === at || (line[end] !== "." && line[end] !== ")")) return undefined;
    end++;
  }
  if (end < line.length && line[end] !== " " && line[end] !== "\t") return undefined;
  if (isThematicBreak(line.slice(at))) return undefined; // `* * *`, `- - -`
  const empty = leadingSpace(line, end).at === line.length;
  return { end, empty, interrupts: !empty && (end === at + 1 || line.slice(at, end - 1) === "1") };
}

/**
 * Whether the text at `at` (at most 3 columns in) starts a block that ends an open paragraph rather than
 * continuing it. `lazy`: the line is outside the paragraph's container (no `>`, or less indented than its list
 * item), so any list marker opens a new list, empty or not (as cmark and markdown-it do).
 */
export function interruptsParagraph(line: string, at: number, lazy = false): boolean {
  const text = line.slice(at);
  if (text[0] === ">" || isHeadingOrBreak(text) || openFence(text)) return true;
  const html = htmlBlockStart(text);
  if (html !== undefined && html !== "lone-tag") return true;
  const marker = listMarker(line, at);
  return marker !== undefined && (lazy || marker.interrupts);
}
