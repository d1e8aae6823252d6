import type { z } from 'zod';
import { ErrorEnvelope, PlumbError } from './errors.js';

export type Query = { [key: string]: string | number | boolean | undefined } | object;

export interface TransportOptions {
  url: string;
  apiKey: string | undefined;
  fetch: typeof fetch;
  /** For JSON requests; byte transfers (uploads, downloads) take as long as they take. */
  timeoutMs: number;
}

/** HTTP to a Plumb server: one place that builds URLs, sends the key and rebuilds errors. */
export class HttpTransport {
  constructor(private readonly options: TransportOptions) {}

  /** Sends a request; a non-2xx answer is thrown as the PlumbError it carries. */
  async send(
    method: string,
    path: string,
    request: {
      query?: Query;
      body?: unknown;
      contentType?: string;
      accept?: string;
      timeoutMs?: number;
    } = {},
  ): Promise<Response> {
    const url = new URL(this.options.url + path);
    for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = {};
    if (request.accept) headers.accept = request.accept;
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    if (request.contentType) headers['content-type'] = request.contentType;
    let response: Response;
    try {
      response = await this.options.fetch(url, {
        method,
        headers,
        // Streamed bodies need half-duplex in Node's fetch.
        ...(request.body === undefined ? {} : { body: request.body as BodyInit, duplex: 'half' }),
        ...(request.timeoutMs ? { signal: AbortSignal.timeout(request.timeoutMs) } : {}),
      } as RequestInit);
    } catch (cause) {
      throw new PlumbError('unavailable', `cannot reach Plumb at ${this.options.url}: ${describe(cause)}`, {
        cause,
      });
    }
    if (!response.ok) {
      const text = await response.text();
      throw errorFrom(response.status, parseJson(text), text);
    }
    return response;
  }

  /** A JSON request whose answer must match `schema`: a server that does not keep the contract is an error. */
  async json<S extends z.ZodType>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; schema: S; timeoutMs?: number },
  ): Promise<z.infer<S>> {
    const response = await this.send(method, path, {
      accept: 'application/json',
      timeoutMs: options.timeoutMs ?? this.options.timeoutMs,
      ...(options.query ? { query: options.query } : {}),
      ...(options.body === undefined
        ? {}
        : { body: JSON.stringify(options.body), contentType: 'application/json' }),
    });
    const parsed = options.schema.safeParse(parseJson(await response.text()));
    if (!parsed.success) {
      throw new PlumbError('internal', `unexpected response from ${method} ${path}`, {
        details: parsed.error.issues,
      });
    }
    return parsed.data;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorFrom(status: number, json: unknown, text: string): PlumbError {
  const envelope = ErrorEnvelope.safeParse(json);
  if (envelope.success) {
    const { code, message, details } = envelope.data.error;
    return new PlumbError(code, message, { details });
  }
  // A proxy or a non-Plumb server answered; keep what it said so the user can see why.
  const code =
    status === 401
      ? 'unauthenticated'
      : status === 403
        ? 'permission_denied'
        : status === 404
          ? 'not_found'
          : status >= 500
            ? 'unavailable'
            : 'invalid_argument';
  return new PlumbError(code, `HTTP ${status}: ${text.slice(0, 200)}`);
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause;
    return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message;
  }
  return String(cause);
}
