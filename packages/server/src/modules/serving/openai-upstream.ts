import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { PlumbError } from '../../core/errors.js';
import { SseParser } from './openai-sse.js';

/** Where one OpenAI-compatible model version is served. */
export interface UpstreamTarget {
  /** `name@vN`, for messages. */
  ref: string;
  /** e.g. `https://llm.example.com/v1`; completions are at `<baseUrl>/chat/completions`. */
  baseUrl: string;
  /** The model name the upstream is asked for. */
  model: string;
  /** Sent as `Authorization: Bearer …`; kept out of every message this module makes. */
  apiKey?: string | undefined;
}

/** A streamed completion whose first event has arrived; `next` gives the rest, null at the end. */
export interface UpstreamStream {
  first: string;
  /** The data of the next server-sent event; null once the upstream sent `[DONE]` or ended. */
  next(): Promise<string | null>;
  /** Stops reading and closes the connection. */
  cancel(): void;
}

// Kept-alive connections per upstream: a completion does not pay a TCP (and TLS) handshake.
const AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/**
 * Chat completions from OpenAI-compatible upstreams, over node:http (fetch and its web streams
 * cost more than the rest of a completion's path put together). `timeoutMs` bounds the wait for
 * the answer (non-streamed) or for the first event and then for each next one (streamed), so a
 * stalled upstream frees its connection. An upstream that refuses the request itself (400, 422)
 * is the caller's error, answered as `invalid_argument`; any other failure is `unavailable`,
 * which the endpoint's fallback chain may recover.
 */
export class OpenAiUpstream {
  async complete(target: UpstreamTarget, body: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    const timer = new Deadline(timeoutMs);
    try {
      const response = await post(target, { ...body, model: target.model }, timer);
      const text = await textOf(response);
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
    let events: SseReader | undefined;
    try {
      const response = await post(target, { ...body, model: target.model }, timer);
      const reader = new SseReader(response);
      events = reader;
      let ended = false;
      const read = async (): Promise<string | null> => {
        if (ended) return null;
        try {
          const value = await reader.next();
          timer.restart();
          if (value === null || value === '[DONE]') {
            ended = true;
            timer.clear();
            reader.finish();
            return null;
          }
          return value;
        } catch (error) {
          ended = true;
          timer.clear();
          reader.cancel();
          throw timer.explain(target, error, 'the stream broke off');
        }
      };
      const first = await read();
      if (first === null)
        throw new PlumbError('unavailable', `${target.ref}: the upstream ended the stream before any chunk`);
      return {
        first,
        next: read,
        cancel: () => {
          if (ended) return;
          ended = true;
          timer.clear();
          reader.cancel();
        },
      };
    } catch (error) {
      timer.clear();
      events?.cancel();
      throw timer.explain(target, error);
    }
  }
}

/** The upstream's answer once its status says it succeeded; its error as a PlumbError otherwise. */
async function post(target: UpstreamTarget, body: unknown, timer: Deadline): Promise<IncomingMessage> {
  const url = new URL(`${target.baseUrl.replace(/\/+$/, '')}/chat/completions`);
  const payload = JSON.stringify(body);
  const client = url.protocol === 'https:' ? https : http;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        agent: AGENTS[url.protocol as keyof typeof AGENTS],
        signal: timer.signal,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          accept: 'application/json, text/event-stream',
          ...(target.apiKey === undefined ? {} : { authorization: `Bearer ${target.apiKey}` }),
        },
      },
      resolve,
    );
    request.on('error', reject);
    request.end(payload);
  });
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return response;
  // An upstream may quote the key it refused ("Incorrect API key provided: …"); the message is
  // logged with the call, so the key is cut out of it.
  const message = upstreamMessage(withoutKey(await textOf(response).catch(() => ''), target.apiKey));
  const details = { upstreamStatus: status };
  if (status === 400 || status === 422) {
    throw new PlumbError('invalid_argument', `${target.ref}: the upstream refused the request: ${message}`, {
      details,
    });
  }
  throw new PlumbError('unavailable', `${target.ref}: the upstream answered ${status}: ${message}`, {
    details,
  });
}

async function textOf(response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  for await (const chunk of response) text += chunk;
  return text;
}

/**
 * Server-sent events of one response, as they arrive. Reading pauses while more than a few
 * events wait, so a slow client slows the upstream instead of filling memory.
 */
class SseReader {
  private readonly parser = new SseParser();
  private readonly waiting: string[] = [];
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(private readonly response: IncomingMessage) {
    response.setEncoding('utf8');
    response.on('data', (text: string) => {
      this.waiting.push(...this.parser.push(text));
      if (this.waiting.length > 64) response.pause();
      this.notify();
    });
    response.on('end', () => {
      this.waiting.push(...this.parser.end());
      this.ended = true;
      this.notify();
    });
    response.on('error', (error) => {
      this.failure ??= error;
      this.notify();
    });
    response.on('close', () => {
      if (!this.ended) this.failure ??= new Error('the upstream closed the stream before its end');
      this.notify();
    });
  }

  async next(): Promise<string | null> {
    for (;;) {
      const event = this.waiting.shift();
      if (event !== undefined) {
        if (this.waiting.length < 16 && this.response.isPaused()) this.response.resume();
        return event;
      }
      if (this.ended) return null;
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** After `[DONE]`: the rest is read and dropped, so the connection goes back to the pool. */
  finish(): void {
    this.response.removeAllListeners('data');
    this.waiting.length = 0;
    this.response.resume();
  }

  cancel(): void {
    this.response.destroy();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
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

  explain(target: UpstreamTarget, error: unknown, what = 'the upstream could not be reached'): PlumbError {
    if (error instanceof PlumbError) return error;
    if (this.fired) return new PlumbError('unavailable', `${target.ref} timed out after ${this.ms} ms`);
    const message = error instanceof Error ? error.message : String(error);
    return new PlumbError('unavailable', `${target.ref}: ${what}: ${message}`, { cause: error });
  }
}

function withoutKey(message: string, key: string | undefined): string {
  return key === undefined ? message : message.split(key).join('[api key]');
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
