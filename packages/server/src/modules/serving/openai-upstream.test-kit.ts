import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { TestPlumb } from '../../testing/test-plumb.js';

// A small OpenAI-compatible upstream for tests, on 127.0.0.1: it answers chat completions
// (plain, or streamed as server-sent events with usage in a final chunk when asked), fails on
// demand before its first chunk or in the middle of a stream, and can hold a stream half-sent.
// Test-only: the build leaves *.test-kit.ts out.

export type UpstreamMode =
  /** Answers. */
  | 'ok'
  /** 503 before anything is sent. */
  | 'fail'
  /** Sends the first two chunks, then drops the connection. */
  | 'break'
  /** Sends the first two chunks, then waits for `release()` before the rest. */
  | 'hold'
  /** Sends nothing, streamed or not, until `release()`. */
  | 'stall';

export interface ChatRequestSeen {
  model: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages: { role: string; content: string }[];
}

/** The reply to a conversation: the words of its last message, echoed back. */
export function replyTo(messages: { content: string }[], greeting = 'You'): string[] {
  const words = (messages[messages.length - 1]?.content ?? '').split(/\s+/).filter(Boolean);
  return [greeting, ' said:', ...words.map((w) => ` ${w}`)];
}

/** Usage as this upstream counts it: a prompt token a word of every message, a completion token a chunk. */
export function usageFor(messages: { content: string }[]) {
  const prompt = messages.reduce((n, m) => n + m.content.split(/\s+/).filter(Boolean).length, 0);
  const completion = replyTo(messages).length;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export async function startChatUpstream(
  initial: UpstreamMode = 'ok',
  options: {
    /** Answers 401 to a request without `Authorization: Bearer <apiKey>`, quoting the key it got. */
    apiKey?: string;
    /** The reply's first word (`You said: …`), so two upstreams can disagree. */
    greeting?: string;
  } = {},
) {
  let mode = initial;
  const requests: ChatRequestSeen[] = [];
  /** The Authorization header of each chat request, as sent. */
  const authorizations: (string | undefined)[] = [];
  const held: (() => void)[] = [];
  let streamsFinished = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      text += c;
    });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no route"}}');
        return;
      }
      const body = JSON.parse(text) as ChatRequestSeen;
      requests.push(body);
      authorizations.push(req.headers.authorization);
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        // As OpenAI does, the refusal quotes the key it was given.
        const given = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
        res.writeHead(401, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            error: { message: `Incorrect API key provided: ${given}.`, type: 'invalid_request_error' },
          }),
        );
        return;
      }
      if (mode === 'stall') {
        held.push(() => {
          res
            .writeHead(503, { 'content-type': 'application/json' })
            .end('{"error":{"message":"released without an answer"}}');
        });
        return;
      }
      if (mode === 'fail') {
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"error":{"message":"upstream overloaded","type":"server_error"}}');
        return;
      }
      const words = replyTo(body.messages, options.greeting);
      const usage = usageFor(body.messages);
      const base = { id: 'chatcmpl-test', created: 1_767_225_600, model: body.model };
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            ...base,
            object: 'chat.completion',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: words.join(''), refusal: null },
                finish_reason: 'stop',
                logprobs: null,
              },
            ],
            usage,
          }),
        );
        return;
      }
      const withUsage = body.stream_options?.include_usage === true;
      const chunk = (choices: unknown[], extra: object = {}) =>
        `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices, ...(withUsage ? { usage: null } : {}), ...extra })}\n\n`;
      const events = [
        chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
        ...words.map((w) => chunk([{ index: 0, delta: { content: w }, finish_reason: null }])),
        chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
        ...(withUsage ? [chunk([], { usage })] : []),
        'data: [DONE]\n\n',
      ];
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(events[0]);
      // Dropped only once the first chunks are on the wire, so they arrive before the failure.
      res.write(events[1], () => {
        if (mode === 'break') setImmediate(() => res.destroy());
      });
      const rest = () => {
        for (const e of events.slice(2)) res.write(e);
        res.end(() => {
          streamsFinished += 1;
        });
      };
      if (mode === 'hold') held.push(rest);
      else if (mode !== 'break') rest();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    authorizations,
    setMode(next: UpstreamMode) {
      mode = next;
    },
    /** Streams fully sent to the end. */
    get streamsFinished() {
      return streamsFinished;
    },
    /** How many held streams wait for `release()`. */
    get holding() {
      return held.length;
    },
    release() {
      for (const rest of held.splice(0)) rest();
    },
    async close() {
      this.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves once `check` holds, polling; fails after `tries` polls so a test stays bounded. */
export async function eventually<T>(check: () => Promise<T | undefined>, tries = 200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the condition did not hold in time');
}

/** The value of the series `name` whose labels include `labels`, in Prometheus text; undefined if none. */
export function prometheusValue(
  text: string,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** Creates `model` (limited risk, ungated) with one version: an OpenAI-compatible upstream. */
export async function registerChatModel(
  t: TestPlumb,
  model: string,
  artifact: { baseUrl: string; model: string; apiKeyEnv?: string; apiKeyFile?: string },
) {
  await t.plumb.services.registry.models.create(t.adminCtx, {
    name: model,
    description: '',
    riskClass: 'limited',
    policy: { gatedAliases: [], approvalRequired: false },
  });
  return t.plumb.services.registry.registration.register(t.adminCtx, model, {
    artifact: { kind: 'openai', ...artifact },
    description: '',
  });
}

/** Starts the instance listening on 127.0.0.1 and gives the official client, with a service key. */
export async function listenWithClient(t: TestPlumb): Promise<OpenAI> {
  await t.plumb.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.plumb.app.server.address() as AddressInfo;
  return new OpenAI({
    apiKey: await t.keyFor('service'),
    baseURL: `http://127.0.0.1:${port}/v1`,
    maxRetries: 0,
    timeout: 10_000,
  });
}
