// Reads a text/event-stream response event by event, the way an EventSource would parse it.
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
  /** Set for comment lines (": ..."), which carry no event. */
  comment?: string;
}

export class SseReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private ended = false;

  constructor(response: Response) {
    if (response.body === null) throw new Error('response has no body');
    this.reader = response.body.getReader();
  }

  /** The next event or comment; null once the server closed the stream. */
  async next(): Promise<SseEvent | null> {
    for (;;) {
      const boundary = this.buffer.indexOf('\n\n');
      if (boundary >= 0) {
        const block = this.buffer.slice(0, boundary);
        this.buffer = this.buffer.slice(boundary + 2);
        return parseBlock(block);
      }
      if (this.ended) return null;
      const { done, value } = await this.reader.read();
      if (done) this.ended = true;
      else this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Events (comments skipped) until one matches `stop` (included) or the stream ends. */
  async until(stop: (event: SseEvent) => boolean, max = 10_000): Promise<SseEvent[]> {
    const events: SseEvent[] = [];
    for (let i = 0; i < max; i++) {
      const event = await this.next();
      if (event === null) return events;
      if (event.comment !== undefined) continue;
      events.push(event);
      if (stop(event)) return events;
    }
    throw new Error(`no matching event within ${max} events`);
  }

  /** All remaining events; the stream must end. */
  all(): Promise<SseEvent[]> {
    return this.until(() => false);
  }

  async cancel(): Promise<void> {
    await this.reader.cancel();
  }
}

function parseBlock(block: string): SseEvent {
  const event: SseEvent = { event: 'message', data: '', id: undefined };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      event.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event.event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') event.id = value;
  }
  event.data = data.join('\n');
  return event;
}
