/**
 * Which lines of a Markdown text a reader sees as ordinary text. Commands are only taken from those:
 * a command inside a code block, a quote or an HTML comment is an example or a citation, not a request.
 *
 * This is a line-based approximation of CommonMark, deliberately erring towards "ignored": a command
 * we skip can be re-typed, a command we run that the reader could not see cannot be undone.
 */

export interface VisibleLine {
  /** 0-based index into the lines given. */
  index: number;
  /** The line with HTML comments cut out. */
  text: string;
}

interface Fence {
  char: string;
  length: number;
}

// Both patterns are anchored and have one greedy run followed by disjoint text, so they are linear.
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/s;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
const MAY_BE_FENCE = /^ {0,3}[`~]/;

function openFence(line: string): Fence | undefined {
  if (!MAY_BE_FENCE.test(line)) return undefined; // cheap common case before the capturing regex
  const m = FENCE_OPEN.exec(line);
  if (!m) return undefined;
  const run = m[1]!;
  // CommonMark: a backtick fence's info string may not contain a backtick (```x``` is inline code).
  if (run[0] === "`" && m[2]!.includes("`")) return undefined;
  return { char: run[0]!, length: run.length };
}

function closesFence(line: string, fence: Fence): boolean {
  const m = FENCE_CLOSE.exec(line);
  return m !== null && m[1]![0] === fence.char && m[1]!.length >= fence.length;
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
      pos = start + 4;
      inComment = true;
    }
  }
  return { visible, inComment };
}

/** Yields the lines outside fenced and indented code and HTML comments. */
export function* visibleLines(lines: readonly string[]): Generator<VisibleLine> {
  let fence: Fence | undefined;
  let inComment = false;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    if (line === "") continue; // blank lines change no state here
    if (fence) {
      if (closesFence(line, fence)) fence = undefined;
      continue;
    }
    if (!inComment) {
      fence = openFence(line);
      if (fence) continue;
    }
    let text = line;
    if (inComment || line.includes("<!--")) {
      const stripped = stripHtmlComments(line, inComment);
      text = stripped.visible;
      inComment = stripped.inComment;
    }
    // Block quotes (`> /x`, `> > /x`) need no check: a command's `/` must be the first non-blank character.
    if (isIndentedCode(text)) continue;
    yield { index, text };
  }
}
