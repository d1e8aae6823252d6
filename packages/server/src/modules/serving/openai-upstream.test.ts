import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SseParser } from './openai-sse.js';
import { OpenAiUpstream } from './openai-upstream.js';

function collect(parts: string[]): string[] {
  const parser = new SseParser();
  return [...parts.flatMap((p) => parser.push(p)), ...parser.end()];
}

describe('server-sent events from upstreams', () => {
  it('splits events at blank lines whatever the line ends and the reads', async () => {
    const text =
      'data: {"a":1}\r\n\r\n: keep-alive\r\n\r\ndata: one\r\ndata: two\r\n\r\nevent: x\ndata: {"b":2}\n\ndata: [DONE]\r\r';
    const whole = collect([text]);
    expect(whole).toEqual(['{"a":1}', 'one\ntwo', '{"b":2}', '[DONE]']);
    // Every split point, including inside a CRLF.
    for (let i = 1; i < text.length; i++) {
      expect(collect([text.slice(0, i), text.slice(i)])).toEqual(whole);
    }
  });

  it('joins multi-line data and keeps an unterminated last event', async () => {
    expect(collect(['data: one\ndata: two\n\ndata: three'])).toEqual(['one\ntwo', 'three']);
  });
});

describe('OpenAI-compatible upstream client', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function serve(handler: Parameters<typeof createServer>[1]) {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  }

  it("refuses as the caller's error what the upstream refused (400), as unavailable what failed", async () => {
    let status = 400;
    const baseUrl = await serve((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(status).end('{"error":{"message":"messages must not be empty"}}'));
    });
    const upstream = new OpenAiUpstream();
    const target = { ref: 'llm@v1', baseUrl, model: 'm' };
    await expect(upstream.complete(target, {}, 1000)).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'llm@v1: the upstream refused the request: messages must not be empty',
    });
    status = 502;
    await expect(upstream.open(target, {}, 1000)).rejects.toMatchObject({
      code: 'unavailable',
      message: 'llm@v1: the upstream answered 502: messages must not be empty',
    });
  });

  it('times out waiting for the first chunk, and then for each next one', async () => {
    let sendFirst = false;
    const baseUrl = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        if (sendFirst) res.write('data: {"choices":[]}\n\n');
      });
    });
    const upstream = new OpenAiUpstream();
    const target = { ref: 'llm@v1', baseUrl, model: 'm' };
    await expect(upstream.open(target, {}, 100)).rejects.toMatchObject({
      code: 'unavailable',
      message: 'llm@v1 timed out after 100 ms',
    });
    sendFirst = true;
    const stream = await upstream.open(target, {}, 100);
    expect(stream.first).toBe('{"choices":[]}');
    await expect(stream.next()).rejects.toMatchObject({ message: 'llm@v1 timed out after 100 ms' });
  });
});
