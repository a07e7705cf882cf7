/**
 * Which lines of a Markdown text a reader sees as ordinary text. Commands are only taken from those:
 * a command inside a code block, a quote, a `<pre>` or an HTML comment is an example or a citation, not a request.
 *
 * This is a line-based approximation of CommonMark (as GitHub renders comments), deliberately erring towards
 * "ignored": a command we skip can be re-typed, a command we run that the reader could not see cannot be undone.
 */

import { closesFence, closesRawHtml, type Fence, htmlBlockStart, interruptsParagraph, isHeadingOrBreak, leadingSpace, listMarker, openFence } from "./markdown-blocks.js";

export interface VisibleLine {
  /** 0-based index into the lines given. */
  index: number;
  /** The line with HTML comments cut out. */
  text: string;
}

/** Leading whitespace reaching column 4 (four spaces, or any tab) makes an indented code block. */
function isIndentedCode(line: string): boolean {
  for (let i = 0; i < 4; i++) {
    const c = line[i];
    if (c === "\t") return true;
    if (c !== " ") return false;
  }
  return true;
}

/**
 * Cuts `<!-- ... -->` spans out of one line. A comment may start anywhere (not only where CommonMark
 * would open an HTML block) and an unclosed one runs to the end of the text: both err towards hiding.
 */
function stripHtmlComments(line: string, inComment: boolean): { visible: string; inComment: boolean } {
  let visible = "";
  let pos = 0;
  while (pos < line.length) {
    if (inComment) {
      const end = line.indexOf("-->", pos);
      if (end < 0) return { visible, inComment: true };
      pos = end + 3;
      inComment = false;
    } else {
      const start = line.indexOf("<!--", pos);
      if (start < 0) {
        visible += line.slice(pos);
        break;
      }
      visible += line.slice(pos, start);
      pos = start + 2; // `<!-->` and `<!--->` are whole (empty) comments, as in browsers
      inComment = true;
    }
  }
  return { visible, inComment };
}

interface QuoteContent {
  kind: "text" | "nothing" | "indented";
  /** The innermost text, once `>` and list markers are peeled off. */
  text: string;
  /** How many `>` deep it is. */
  depth: number;
  /** Its column inside the innermost quote: beyond 0 when list markers were peeled off. */
  indent: number;
}

/**
 * What a quote line (`>` at index `at`, column `column`) holds. `continuing`: the depth of the quoted paragraph
 * the line before left open (0 for none); at that depth a marker that cannot interrupt a paragraph is text.
 */
function quoteContent(line: string, at: number, column: number, continuing: number): QuoteContent {
  for (let depth = 1; ; depth++) {
    // The first column after `>` is its optional space.
    const base = line[at + 1] === " " ? column + 2 : column + 1;
    let after = leadingSpace(line, at + 1, column + 1);
    if (after.at === line.length) return { kind: "nothing", text: "", depth, indent: 0 };
    if (after.column - base >= 4) return { kind: "indented", text: "", depth, indent: 0 };
    for (let marker = listMarker(line, after.at); marker && (marker.interrupts || depth !== continuing); marker = listMarker(line, after.at)) {
      if (marker.empty) return { kind: "nothing", text: "", depth, indent: 0 };
      after = leadingSpace(line, marker.end, after.column + (marker.end - after.at));
      if (after.width > 4) return { kind: "indented", text: "", depth, indent: 0 };
    }
    if (line[after.at] !== ">") return { kind: "text", text: line.slice(after.at), depth, indent: after.column - base };
    at = after.at;
    column = after.column;
  }
}

/**
 * Whether the line, at most 3 spaces in, starts with what can only be paragraph text (a letter, `/`, a backtick
 * that is no fence…). The common case, decided without the full block checks.
 */
function startsPlainText(line: string): boolean {
  let i = 0;
  while (i < 3 && line.charCodeAt(i) === 0x20) i++;
  const c = line.charCodeAt(i);
  // Not: blank, more whitespace, digits (ordered lists), # * + - < > _ (headings, lists, breaks, HTML, quotes).
  if (Number.isNaN(c) || c === 0x20 || c === 0x09 || (c >= 0x30 && c <= 0x39) || "#*+-<>_".includes(line[i]!)) return false;
  return (c !== 0x60 && c !== 0x7e) || openFence(line) === undefined; // ` and ~ only as a fence
}

/**
 * A block that is not text: a fence, raw HTML until a closing tag, or HTML until a blank line (shown as text);
 * where it is (the content column of the list item holding it; inside a quote, the `>` depth and the indent of
 * the list item holding it there). One object shape for all, which keeps property access fast.
 */
interface OpenBlock {
  kind: "fence" | "raw-html" | "html";
  fence: Fence | undefined;
  container: number;
  depth: number;
  indent: number;
}

/** The block an HTML or fence start opens, if any. `paragraphOpen`: a lone tag cannot interrupt a paragraph. */
function openBlock(text: string, paragraphOpen: boolean): OpenBlock["kind"] | "closed-raw-html" | undefined {
  if (openFence(text)) return "fence";
  const html = htmlBlockStart(text);
  if (html === "raw") return closesRawHtml(text) ? "closed-raw-html" : "raw-html";
  if (html === "until-blank" || (html === "lone-tag" && !paragraphOpen)) return "html";
  return undefined;
}

function newBlock(kind: OpenBlock["kind"], text: string, container: number, depth = 0, indent = 0): OpenBlock {
  return { kind, fence: kind === "fence" ? openFence(text) : undefined, container, depth, indent };
}

/** Whether a line ends a block: a fence's closing line, or raw HTML's closing tag. HTML blocks end at blank lines. */
function closes(block: OpenBlock, text: string, line: string): boolean {
  if (block.fence) return closesFence(text, block.fence);
  return block.kind === "raw-html" && closesRawHtml(line);
}

/**
 * Yields the lines a reader sees as ordinary text: outside fenced and indented code, block quotes (including
 * the lines that continue a quoted paragraph lazily), `<pre>`-like raw HTML blocks and HTML comments.
 * List items are followed as far as fences and HTML blocks inside them need: their content is indented by the
 * item's marker, and a line indented less ends the item and whatever block it held.
 */
export function visibleLines(lines: readonly string[]): VisibleLine[] {
  // An array rather than a generator: resuming a generator this size costs more than the lines it yields.
  const visible: VisibleLine[] = [];
  /** The open fence or HTML block, and the content column of the list item holding it. */
  let block: OpenBlock | undefined;
  /** The same inside a block quote, with its `>` depth and the indent of the list item holding it there. */
  let quotedBlock: OpenBlock | undefined;
  let inComment = false;
  /** The open comment began inside other text (a paragraph, a heading, a quote, indented code), not as a block. */
  let inlineComment = false;
  /** Content columns of the open list items, innermost last. */
  const items: number[] = [];
  /** An open paragraph (the next line may continue it lazily); whether it is quoted, and how deep. */
  let paragraph = false;
  let quoted = false;
  let quotedDepth = 0;
  /** The last list item opened on the line before was empty: a blank line after it ends it. */
  let emptyItem = false;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (!block && !quoted && !inComment && items.length === 0 && startsPlainText(line) && !line.includes("<!--")) {
      // The common case, prose or a command at the top level: paragraph text, nothing else to follow.
      paragraph = true;
      quotedBlock = undefined;
      emptyItem = false;
      visible.push({ index, text: line });
      continue;
    }
    const lead = leadingSpace(line);
    if (lead.at === line.length) {
      if (emptyItem) items.pop(); // a list item may begin with at most one blank line
      if (block?.kind === "html") block = undefined;
      quotedBlock = undefined; // a blank line ends a block quote
      paragraph = quoted = emptyItem = false;
      continue;
    }
    emptyItem = false;
    // Leave the list items this line is not indented into, unless it lazily continues their paragraph.
    if (items.length > 0 && lead.width < items[items.length - 1]! && !(paragraph && !interruptsParagraph(line, lead.at, true))) {
      while (items.length > 0 && lead.width < items[items.length - 1]!) items.pop();
      paragraph = quoted = false; // it was in the innermost item
    }
    if (quotedBlock && line[lead.at] !== ">") quotedBlock = undefined; // the quote ended, and whatever it held
    const container = items[items.length - 1] ?? 0;
    const shallow = lead.width - container <= 3;
    if (block && block.container > container) block = undefined; // its list item ended
    if (block && block.kind !== "html") {
      if (shallow && closes(block, line.slice(lead.at), line)) block = undefined;
      continue;
    }
    // A comment opened inside other text cannot outlive it: a fence or raw HTML block interrupts that text, and
    // the unclosed `<!--` was only text.
    if (inComment && inlineComment && shallow && openBlock(line.slice(lead.at), true) !== undefined) inComment = false;
    // Blocks open neither inside HTML shown as text nor inside a comment block; inside a comment in other text the
    // structure is still followed (the comment ends with it), while its text stays hidden.
    const blocks = shallow && !(inComment && !inlineComment) && !block;
    if (quoted && !(blocks && interruptsParagraph(line, lead.at, true))) {
      if (!inComment && line.includes("<!--")) inlineComment = true;
      inComment = stripHtmlComments(line, inComment).inComment; // shown inside the quote, but comments still count
      continue;
    }
    if (quoted && line[lead.at] !== ">") paragraph = quoted = false; // this line ends the quote
    /** The line opens an HTML comment block (`<!--` where a block may start): only that comment outlives other blocks. */
    let commentBlock = false;
    if (blocks) {
      let at = lead.at;
      let column = lead.column;
      // List markers, possibly nested on one line (`- 1. text`): the content sits at the item's content column.
      // A marker that cannot interrupt a paragraph is only more of its text.
      for (let marker = listMarker(line, at); marker && (marker.interrupts || !paragraph || at > lead.at); marker = listMarker(line, at)) {
        const markerColumn = column + (marker.end - at);
        const after = leadingSpace(line, marker.end, markerColumn);
        const code = !marker.empty && after.width > 4; // 5+ columns: the content is indented code
        items.push(markerColumn + (marker.empty || code ? 1 : after.width));
        emptyItem = marker.empty;
        if (marker.empty || code) {
          at = line.length;
          break;
        }
        at = after.at;
        column = after.column;
      }
      const text = line.slice(at);
      const inner = items[items.length - 1] ?? 0;
      if (text[0] === ">") {
        // A block in a quote goes on only in the same container (no list item opened on this line).
        if (quotedBlock && (at !== lead.at || quotedBlock.container !== inner)) quotedBlock = undefined;
        // A quote opened in a list item started on this line is a new quote: it continues no paragraph.
        const content = quoteContent(line, at, column, quoted && at === lead.at ? quotedDepth : 0);
        // The quote holding it ended, or the list item holding it inside the quote.
        if (quotedBlock && (content.depth < quotedBlock.depth || (content.kind === "text" && content.depth === quotedBlock.depth && content.indent < quotedBlock.indent))) quotedBlock = undefined;
        if (quotedBlock) {
          // Inside a fence or HTML block inside the quote: never a paragraph, until it closes.
          if (content.kind === "text" && closes(quotedBlock, content.text, content.text)) quotedBlock = undefined;
          paragraph = quoted = false;
        } else if (content.kind === "indented") {
          paragraph = quoted; // indented code cannot interrupt a paragraph: it only goes on
        } else if (content.kind === "nothing") {
          paragraph = quoted = false;
        } else {
          const opened = openBlock(content.text, quoted && content.depth === quotedDepth);
          if (opened !== undefined && opened !== "closed-raw-html") quotedBlock = newBlock(opened, content.text, inner, content.depth, content.indent);
          paragraph = quoted = opened === undefined && !interruptsParagraph(content.text, 0);
          quotedDepth = content.depth;
        }
      } else {
        quotedBlock = undefined; // the quote ended, and whatever it held
        const opened = openBlock(text, paragraph && at === lead.at);
        quoted = false;
        if (opened !== undefined) {
          paragraph = false;
          if (opened !== "closed-raw-html") block = newBlock(opened, text, inner);
          if (opened !== "html") continue;
        } else {
          commentBlock = text.startsWith("<!--") && items.length === 0; // in a list item it ends with the item
          paragraph = !(text === "" || commentBlock || isHeadingOrBreak(text));
        }
      }
    }
    let text = line;
    if (inComment || line.includes("<!--")) {
      if (!inComment) inlineComment = !commentBlock;
      const stripped = stripHtmlComments(line, inComment);
      text = stripped.visible;
      inComment = stripped.inComment;
    }
    // Quote lines need no further check: a command's `/` must be the first non-blank character.
    if (isIndentedCode(text)) continue;
    visible.push({ index, text });
  }
  return visible;
}
