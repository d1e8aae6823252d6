import { PlumbError } from '../../core/errors.js';

/** Where one OpenAI-compatible model version is served. */
export interface UpstreamTarget {
  /** `name@vN`, for messages. */
  ref: string;
  /** e.g. `https://llm.example.com/v1`; completions are at `<baseUrl>/chat/completions`. */
  baseUrl: string;
  /** The model name the upstream is asked for. */
  model: string;
}

/** A streamed completion whose first event has arrived; `next` gives the rest, null at the end. */
export interface UpstreamStream {
  first: string;
  /** The data of the next server-sent event; null once the upstream sent `[DONE]` or closed. */
  next(): Promise<string | null>;
  /** Stops reading and closes the connection. */
  cancel(): void;
}

/**
 * Chat completions from OpenAI-compatible upstreams. `timeoutMs` bounds the wait for the
 * answer (non-streamed) or for the first event and then for each next one (streamed), so a
 * stalled upstream frees its connection. An upstream that refuses the request itself (400, 422)
 * is the caller's error, answered as `invalid_argument`; any other failure is `unavailable`,
 * which the endpoint's fallback chain may recover.
 */
export class OpenAiUpstream {
  constructor(private readonly fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)) {}

  async complete(target: UpstreamTarget, body: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    const timer = new Deadline(timeoutMs);
    try {
      const response = await this.post(target, { ...body, model: target.model }, timer);
      const text = await response.text();
      try {
        return JSON.parse(text);
      } catch {
        throw new PlumbError('unavailable', `${target.ref}: the upstream answered something not JSON`);
      }
    } catch (error) {
      throw timer.explain(target, error);
    } finally {
      timer.clear();
    }
  }

  /** Resolves once the first event is in hand, so a failure before it can still fall back. */
  async open(
    target: UpstreamTarget,
    body: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<UpstreamStream> {
    const timer = new Deadline(timeoutMs);
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      const response = await this.post(target, { ...body, model: target.model }, timer);
      if (!response.body) throw new PlumbError('unavailable', `${target.ref}: the upstream sent no stream`);
      reader = response.body.getReader();
      const events = sseEvents(reader);
      const read = async (): Promise<string | null> => {
        try {
          const next = await events.next();
          timer.restart();
          return next.done || next.value === '[DONE]' ? null : next.value;
        } catch (error) {
          throw timer.explain(target, error);
        }
      };
      const first = await read();
      if (first === null)
        throw new PlumbError('unavailable', `${target.ref}: the upstream ended the stream before any chunk`);
      const opened = reader;
      let ended = false;
      return {
        first,
        next: async () => {
          if (ended) return null;
          const value = await read().catch((error: unknown) => {
            ended = true;
            timer.clear();
            throw error;
          });
          if (value === null) {
            ended = true;
            timer.clear();
            opened.cancel().catch(() => {});
          }
          return value;
        },
        cancel: () => {
          ended = true;
          timer.clear();
          opened.cancel().catch(() => {});
        },
      };
    } catch (error) {
      timer.clear();
      reader?.cancel().catch(() => {});
      throw timer.explain(target, error);
    }
  }

  private async post(target: UpstreamTarget, body: unknown, timer: Deadline): Promise<Response> {
    const url = `${target.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify(body),
        signal: timer.signal,
      });
    } catch (error) {
      throw timer.explain(target, error);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    const message = upstreamMessage(text);
    if (response.status === 400 || response.status === 422) {
      throw new PlumbError(
        'invalid_argument',
        `${target.ref}: the upstream refused the request: ${message}`,
        {
          details: { upstreamStatus: response.status },
        },
      );
    }
    throw new PlumbError(
      'unavailable',
      `${target.ref}: the upstream answered ${response.status}: ${message}`,
      {
        details: { upstreamStatus: response.status },
      },
    );
  }
}

/** One timer per upstream call: it aborts the request when it fires, and names the timeout. */
class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private fired = false;

  constructor(private readonly ms: number) {
    this.restart();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  restart(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort();
    }, this.ms);
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  explain(target: UpstreamTarget, error: unknown): PlumbError {
    if (error instanceof PlumbError) return error;
    if (this.fired) return new PlumbError('unavailable', `${target.ref} timed out after ${this.ms} ms`);
    const message = error instanceof Error ? error.message : String(error);
    return new PlumbError('unavailable', `${target.ref}: the upstream could not be reached: ${message}`, {
      cause: error,
    });
  }
}

/**
 * The data of each server-sent event, as it arrives: events end at a blank line, lines at LF,
 * CRLF or CR; comments (`: keep-alive`) and other fields are skipped.
 */
export async function* sseEvents(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let carried = '';
  for (;;) {
    const { done, value } = await reader.read();
    let text = carried + (done ? decoder.decode() : decoder.decode(value, { stream: true }));
    // A CR at the end may be the first half of a CRLF split across reads: kept for the next one.
    carried = !done && text.endsWith('\r') ? '\r' : '';
    if (carried) text = text.slice(0, -1);
    buffer += text.replace(/\r\n?/g, '\n');
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const data = dataOf(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (data !== null) yield data;
      end = buffer.indexOf('\n\n');
    }
    if (done) {
      const data = dataOf(buffer);
      if (data !== null) yield data;
      return;
    }
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

function upstreamMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string };
    const message = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message;
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 300) || '(no body)';
}
