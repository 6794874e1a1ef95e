// Turns a byte stream into lines as the bytes arrive. Splitting happens on raw bytes: 0x0A never
// occurs inside a multi-byte UTF-8 sequence, so a character split across chunks is decoded whole.

/** Longest line kept; the rest is dropped and counted, so one runaway line cannot eat the log. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private droppedBytes = 0;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {}

  push(chunk: Uint8Array): void {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let nl = buf.indexOf(0x0a); nl !== -1; nl = buf.indexOf(0x0a)) {
      this.append(buf.subarray(0, nl));
      this.emit();
      buf = buf.subarray(nl + 1);
    }
    this.append(buf);
  }

  /** Emits a final line that had no trailing newline. */
  end(): void {
    if (this.pendingBytes > 0 || this.droppedBytes > 0) this.emit();
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    const room = this.maxLineBytes - this.pendingBytes;
    if (room <= 0) {
      this.droppedBytes += part.length;
      return;
    }
    const kept = part.length > room ? part.subarray(0, room) : part;
    // Copy: the caller's chunk may be a pooled buffer that is reused after push() returns.
    this.pending.push(Buffer.from(kept));
    this.pendingBytes += kept.length;
    this.droppedBytes += part.length - kept.length;
  }

  private emit(): void {
    let bytes = Buffer.concat(this.pending, this.pendingBytes);
    let dropped = this.droppedBytes;
    this.pending = [];
    this.pendingBytes = 0;
    this.droppedBytes = 0;
    if (dropped > 0) {
      const cut = utf8Boundary(bytes);
      dropped += bytes.length - cut;
      bytes = bytes.subarray(0, cut);
    } else if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) {
      bytes = bytes.subarray(0, bytes.length - 1);
    }
    const text = bytes.toString('utf8');
    this.onLine(dropped > 0 ? `${text}… [line truncated, ${dropped} more bytes]` : text);
  }
}

/** Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence. */
export function utf8Boundary(bytes: Uint8Array): number {
  const end = bytes.length;
  // Walk back over at most 3 continuation bytes to the lead byte of the last sequence.
  let i = end - 1;
  while (i >= 0 && i >= end - 4 && ((bytes[i] ?? 0) & 0xc0) === 0x80) i--;
  if (i < 0) return end;
  const lead = bytes[i] ?? 0;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return end - i >= need ? end : i;
}
