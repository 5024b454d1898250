/**
 * Splits a byte stream into lines with bounded memory: bytes are kept only until their line ends,
 * and a line longer than `maxLineBytes` is dropped (and reported) instead of being buffered.
 * Works on Buffers, so a multi-byte UTF-8 character split across two reads is never mangled.
 */
export interface SplitLine {
  /** 1-based line number in the whole stream. */
  number: number;
  /** undefined when the line was too long and dropped. */
  text?: string;
}

export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private overlong = false;
  private lineNumber = 0;

  constructor(private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  push(chunk: Buffer): SplitLine[] {
    const lines: SplitLine[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.keep(chunk.subarray(start, nl));
      lines.push(this.takeLine());
      start = nl + 1;
    }
    this.keep(chunk.subarray(start));
    return lines;
  }

  /** Bytes received after the last newline (a line still being written, or a torn one). */
  get hasPartialLine(): boolean {
    return this.pendingBytes > 0 || this.overlong;
  }

  /** The 1-based number the partial line would have. */
  get partialLineNumber(): number {
    return this.lineNumber + 1;
  }

  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.overlong = false;
    this.lineNumber = 0;
  }

  private keep(bytes: Buffer): void {
    if (bytes.length === 0 || this.overlong) return;
    if (this.pendingBytes + bytes.length > this.maxLineBytes) {
      this.overlong = true;
      this.pending = [];
      this.pendingBytes = 0;
      return;
    }
    this.pending.push(Buffer.from(bytes));
    this.pendingBytes += bytes.length;
  }

  private takeLine(): SplitLine {
    this.lineNumber += 1;
    const line: SplitLine = { number: this.lineNumber };
    if (!this.overlong) line.text = Buffer.concat(this.pending, this.pendingBytes).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    this.overlong = false;
    return line;
  }
}
