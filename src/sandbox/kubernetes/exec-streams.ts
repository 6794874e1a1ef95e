// Byte-stream helpers of an exec: the wrapper's marker line split off the front of stdout, and
// the tail of stderr kept for error messages.
import { parseMarkerLine, type WrapperMarker } from './exec-protocol.js';

const STDERR_TAIL_BYTES = 4096;
/** A marker line is short; anything longer without a newline is command output. */
const MAX_MARKER_BYTES = 256;

/** Splits the wrapper's marker line off the front of stdout. */
export class MarkerReader {
  marker: WrapperMarker | undefined;
  private head = Buffer.alloc(0);
  constructor(
    private readonly onMarker: (marker: WrapperMarker) => void,
    private readonly onData: (chunk: Buffer) => void,
  ) {}
  push(chunk: Buffer): void {
    if (this.marker !== undefined) {
      if (chunk.length > 0) this.onData(chunk);
      return;
    }
    this.head = Buffer.concat([this.head, chunk]);
    const nl = this.head.indexOf(0x0a);
    if (nl === -1 && this.head.length < MAX_MARKER_BYTES) return;
    const head = this.head;
    this.head = Buffer.alloc(0);
    const end = nl === -1 ? head.length : nl + 1;
    this.marker = parseMarkerLine(head.subarray(0, nl === -1 ? head.length : nl).toString('utf8'));
    this.onMarker(this.marker);
    // Not a marker after all: it is output, passed on byte for byte.
    if (this.marker.kind === 'unknown') this.onData(head.subarray(0, end));
    if (end < head.length) this.onData(head.subarray(end));
  }
}

export class TailBuffer {
  private text = '';
  push(chunk: Buffer): void {
    this.text = (this.text + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  }
  toString(): string {
    return this.text.trim();
  }
}
