/**
 * Server-sent events, parsed as text arrives: events end at a blank line, lines at LF, CRLF or
 * CR; each event gives its `data:` lines joined by newlines, and comments (`: keep-alive`) and
 * events without data give nothing.
 */
export class SseParser {
  private buffer = '';
  private carried = '';

  /** The events this text completes. */
  push(chunk: string): string[] {
    let text = this.carried + chunk;
    // A CR at the end may be the first half of a CRLF split across reads: kept for the next one.
    this.carried = text.endsWith('\r') ? '\r' : '';
    if (this.carried) text = text.slice(0, -1);
    this.buffer += text.replace(/\r\n?/g, '\n');
    const out: string[] = [];
    let end = this.buffer.indexOf('\n\n');
    while (end !== -1) {
      const data = dataOf(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
      if (data !== null) out.push(data);
      end = this.buffer.indexOf('\n\n');
    }
    return out;
  }

  /** The last event, when the stream ended without its blank line. */
  end(): string[] {
    const data = dataOf((this.buffer + this.carried).replace(/\r/g, '\n'));
    this.buffer = '';
    this.carried = '';
    return data === null ? [] : [data];
  }
}

/** The event's `data:` lines joined by newlines; null for an event without data (a comment). */
function dataOf(event: string): string | null {
  const lines = event
    .split('\n')
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(l.startsWith('data: ') ? 6 : 5));
  return lines.length === 0 ? null : lines.join('\n');
}
