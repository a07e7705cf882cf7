import { StringDecoder } from "node:string_decoder";
import { Writable } from "node:stream";
import type { Masker } from "./mask-secrets.js";

/** Longest text masked at once when a log has no line breaks (a secret split across two pieces could slip through). */
const maxPiece = 64 * 1024;

export interface CappedText {
  text: string;
  /** Bytes the log had in the cluster. */
  bytes: number;
  truncated: boolean;
}

export function truncationMarker(omitted: number, total: number): string {
  return `\n----- mario truncated this log: ${omitted} of ${total} bytes are not kept (the first and last parts are shown) -----\n`;
}

/** Marks the cut in a live view of a log longer than the cap (its full length is not known while it grows). */
export function liveTruncationMarker(capBytes: number): string {
  return `\n----- mario truncated this log: it has more than ${capBytes} bytes so far (the first part and the latest part are shown) -----\n`;
}

/**
 * A Writable that keeps a bounded, masked copy of a log: the first half of `capBytes` and the last half, with a
 * truncation marker between (`{ head: false }`: only the last `capBytes`). Memory stays near `capBytes` whatever
 * the log's size.
 */
export class CappedLog extends Writable {
  private readonly decoder = new StringDecoder("utf8");
  private readonly headCap: number;
  private readonly tailCap: number;
  private carry = "";
  private head = "";
  private headBytes = 0;
  private tail: string[] = [];
  private tailBytes = 0;
  private dropped = 0;
  private total = 0;

  constructor(capBytes: number, private readonly mask: Masker, options: { head?: boolean } = {}) {
    super();
    this.headCap = options.head === false ? 0 : Math.floor(capBytes / 2);
    this.tailCap = capBytes - this.headCap;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.add(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.flush();
    done();
  }

  /** Takes the next piece of the log. */
  add(buffer: Buffer): void {
    this.total += buffer.length;
    this.carry += this.decoder.write(buffer);
    let newline = this.carry.lastIndexOf("\n");
    while (newline < 0 && this.carry.length > maxPiece) {
      this.keep(this.carry.slice(0, maxPiece));
      this.carry = this.carry.slice(maxPiece);
      newline = this.carry.lastIndexOf("\n");
    }
    if (newline < 0) return;
    const complete = this.carry.slice(0, newline + 1);
    this.carry = this.carry.slice(newline + 1);
    let i = 0;
    while (i < complete.length) {
      // Cut at a line break where possible so a secret is never split.
      let end = Math.min(complete.length, i + maxPiece);
      if (end < complete.length) {
        const nl = complete.lastIndexOf("\n", end - 1);
        if (nl >= i) end = nl + 1;
      }
      this.keep(complete.slice(i, end));
      i = end;
    }
  }

  /** Keeps what is left after the last line break. */
  flush(): void {
    this.carry += this.decoder.end();
    if (this.carry) this.keep(this.carry);
    this.carry = "";
  }

  private keep(piece: string): void {
    let masked = this.mask(piece);
    let bytes = Buffer.byteLength(masked);
    if (this.tail.length === 0 && this.headBytes < this.headCap) {
      if (this.headBytes + bytes <= this.headCap) {
        this.head += masked;
        this.headBytes += bytes;
        return;
      }
      // Fill the head up to its cap, at a line break when there is one; the rest goes on to the tail.
      let cut = Buffer.from(masked).subarray(0, this.headCap - this.headBytes).toString("utf8").replace(/\uFFFD+$/, "");
      const nl = cut.lastIndexOf("\n");
      if (nl >= 0) cut = cut.slice(0, nl + 1);
      this.head += cut;
      this.headBytes += Buffer.byteLength(cut);
      masked = masked.slice(cut.length);
      bytes = Buffer.byteLength(masked);
      if (!masked) return;
    }
    this.tail.push(masked);
    this.tailBytes += bytes;
    while (this.tailBytes > this.tailCap && this.tail.length > 0) {
      const over = this.tailBytes - this.tailCap;
      const first = this.tail[0]!;
      const firstBytes = Buffer.byteLength(first);
      if (firstBytes <= over) {
        this.tail.shift();
        this.tailBytes -= firstBytes;
        this.dropped += firstBytes;
      } else {
        // Keep the end of a long piece: drop `over` bytes from its start (at a character boundary).
        const kept = Buffer.from(first).subarray(over).toString("utf8").replace(/^\uFFFD+/, "");
        this.tail[0] = kept;
        const keptBytes = Buffer.byteLength(kept);
        this.tailBytes -= firstBytes - keptBytes;
        this.dropped += firstBytes - keptBytes;
      }
    }
  }

  /** The kept text; call after the stream finished. */
  result(): CappedText {
    const truncated = this.dropped > 0;
    const text = this.head + (truncated ? truncationMarker(this.dropped, this.total) : "") + this.tail.join("");
    return { text, bytes: this.total, truncated };
  }

  /** The kept beginning and end, apart (a live view joins a log's beginning and its latest lines read separately). */
  parts(): { head: string; tail: string } {
    return { head: this.head, tail: this.tail.join("") };
  }
}

/** Caps and masks a log already in memory (live views), the same way. */
export function capText(text: string, capBytes: number, mask: Masker): CappedText {
  const log = new CappedLog(capBytes, mask);
  log.add(Buffer.from(text));
  log.flush();
  return log.result();
}
