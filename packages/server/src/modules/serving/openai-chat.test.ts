import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InferenceEvent } from '@plumb/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import {
  eventually,
  prometheusValue,
  replyTo,
  startChatUpstream,
  usageFor,
} from './openai-upstream.test-kit.js';
import { createEndpoint, eventsOf } from './serving.test-kit.js';

// The official openai client against a listening Plumb, whose endpoints route to small local
// OpenAI-compatible upstreams that answer, fail before their first chunk, or hold a stream.

const PRICE = { inputPer1m: 0.15, outputPer1m: 0.6 };
const LATER_PRICE = { inputPer1m: 0.3, outputPer1m: 1.2 };

/** What the test expects a completion to cost, from the price table it set. */
function costOf(usage: { prompt_tokens: number; completion_tokens: number }, price = PRICE) {
  return (usage.prompt_tokens * price.inputPer1m + usage.completion_tokens * price.outputPer1m) / 1_000_000;
}

describeEachBackend('OpenAI chat completions', (backend) => {
  let t: TestPlumb;
  let client: OpenAI;
  let baseURL: string;
  let serviceKey: string;
  let good: Awaited<ReturnType<typeof startChatUpstream>>;
  let broken: Awaited<ReturnType<typeof startChatUpstream>>;
  let held: Awaited<ReturnType<typeof startChatUpstream>>;

  async function registerChat(model: string, baseUrl: string, upstreamModel: string) {
    await t.plumb.services.registry.models.create(t.adminCtx, {
      name: model,
      description: '',
      riskClass: 'limited',
      policy: { gatedAliases: [], approvalRequired: false },
    });
    return t.plumb.services.registry.registration.register(t.adminCtx, model, {
      artifact: { kind: 'openai', baseUrl, model: upstreamModel },
      description: '',
    });
  }

  async function setPrice(upstreamModel: string, price: typeof PRICE, from: string) {
    const response = await t.call('POST', '/api/v1/prices', { body: { upstreamModel, ...price, from } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  }

  async function eventById(endpoint: string, id: string): Promise<InferenceEvent> {
    return eventually(async () => (await eventsOf(t, endpoint)).find((e) => e.id === id));
  }

  beforeAll(async () => {
    t = await createTestPlumb(backend);
    good = await startChatUpstream('ok');
    broken = await startChatUpstream('fail');
    held = await startChatUpstream('hold');
    await registerChat('llm', good.baseUrl, 'small-chat');
    await registerChat('llm-broken', broken.baseUrl, 'small-chat');
    await registerChat('llm-free', good.baseUrl, 'unpriced-chat');
    await registerChat('llm-held', held.baseUrl, 'small-chat');
    await createEndpoint(t, {
      name: 'assistant',
      routes: [{ target: 'llm@v1', weight: 1 }],
      redact: { name: 'drop' },
    });
    await createEndpoint(t, {
      name: 'resilient',
      routes: [{ target: 'llm-broken@v1', weight: 1 }],
      fallback: { versions: ['llm@v1'], defaultResponse: null },
    });
    await createEndpoint(t, { name: 'unpriced', routes: [{ target: 'llm-free@v1', weight: 1 }] });
    await createEndpoint(t, { name: 'slow', routes: [{ target: 'llm-held@v1', weight: 1 }] });
    await createEndpoint(t, { name: 'down', routes: [{ target: 'llm-broken@v1', weight: 1 }] });
    // In effect now; the later one is not yet, and `unpriced-chat` has a price only from then.
    await setPrice('small-chat', PRICE, '2020-01-01');
    await setPrice('small-chat', LATER_PRICE, '2999-01-01');
    await setPrice('unpriced-chat', LATER_PRICE, '2999-01-01');

    await t.plumb.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.plumb.app.server.address() as AddressInfo;
    baseURL = `http://127.0.0.1:${port}/v1`;
    serviceKey = await t.keyFor('service');
    client = new OpenAI({ apiKey: serviceKey, baseURL, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await Promise.all([good.close(), broken.close(), held.close()]);
    await t.dispose();
  });

  const messages = [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: 'what is plumb for', name: 'alice' },
  ];

  it('answers a completion from the routed upstream and logs it with tokens and cost', async () => {
    const { data: completion, response } = await client.chat.completions
      .create({ model: 'assistant', messages })
      .withResponse();
    const usage = usageFor(messages);
    expect(completion.choices[0]!.message.content).toBe(replyTo(messages).join(''));
    expect(completion.usage).toMatchObject(usage);
    // The upstream is asked for its own model name, not the endpoint's.
    expect(good.requests.at(-1)!.model).toBe('small-chat');

    const id = response.headers.get('x-plumb-prediction-id')!;
    expect(response.headers.get('x-plumb-model-version')).toBe('llm@v1');
    const event = await eventById('assistant', id);
    expect(event).toMatchObject({
      modelVersion: 'llm@v1',
      arm: 'primary',
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
      outputs: { role: 'assistant', content: replyTo(messages).join('') },
      error: null,
    });
    expect(event.costUsd).toBeCloseTo(costOf(usage), 12);
    // The endpoint drops each message's `name` before logging.
    expect(event.inputs).toEqual({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'what is plumb for' },
      ],
    });
  });

  it('streams chunk by chunk, asks the upstream for usage, and keeps the usage chunk from a client that did not ask', async () => {
    const stream = await client.chat.completions.create({ model: 'assistant', messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const usage = usageFor(messages);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(replyTo(messages).join(''));
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(good.requests.at(-1)!.stream_options).toEqual({ include_usage: true });

    const event = (await eventsOf(t, 'assistant'))[0]!;
    expect(event).toMatchObject({
      arm: 'primary',
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
      outputs: { role: 'assistant', content: replyTo(messages).join('') },
    });
    expect(event.costUsd).toBeCloseTo(costOf(usage), 12);
    expect(Number(event.tags['plumb.first_token_ms'])).toBeGreaterThanOrEqual(0);
    expect(event.latencyMs).toBeGreaterThanOrEqual(Number(event.tags['plumb.first_token_ms']));
  });

  it('passes the usage chunk on to a client that asked for it', async () => {
    const stream = await client.chat.completions.create({
      model: 'assistant',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject(usageFor(messages));
  });

  it('falls back when the routed upstream fails before its first chunk, streamed or not', async () => {
    const before = broken.requests.length;
    const stream = await client.chat.completions.create({ model: 'resilient', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(replyTo(messages).join(''));
    const plain = await client.chat.completions.create({ model: 'resilient', messages });
    expect(plain.choices[0]!.message.content).toBe(replyTo(messages).join(''));
    expect(broken.requests.length).toBe(before + 2);

    const events = await eventsOf(t, 'resilient');
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event).toMatchObject({ arm: 'fallback', modelVersion: 'llm@v1' });
      expect(event.error).toContain('llm-broken@v1: the upstream answered 503: upstream overloaded');
      expect(event.costUsd).toBeCloseTo(costOf(usageFor(messages)), 12);
    }
  });

  it('answers 503 in OpenAI shape when every version failed, and logs the failed call', async () => {
    const error = await client.chat.completions.create({ model: 'down', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((error as InstanceType<typeof OpenAI.APIError>).type).toBe('server_error');
    const [event] = await eventsOf(t, 'down');
    expect(event).toMatchObject({ modelVersion: null, outputs: null, costUsd: null });
    expect(event!.error).toContain('llm-broken@v1');
  });

  it("answers the endpoint's default response when every version failed, streamed or not", async () => {
    await createEndpoint(t, {
      name: 'apologetic',
      routes: [{ target: 'llm-broken@v1', weight: 1 }],
      fallback: { versions: [], defaultResponse: 'Sorry, try again later.' },
    });
    const plain = await client.chat.completions.create({ model: 'apologetic', messages });
    expect(plain.choices[0]!.message).toMatchObject({
      role: 'assistant',
      content: 'Sorry, try again later.',
    });
    const stream = await client.chat.completions.create({ model: 'apologetic', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Sorry, try again later.');
    const events = await eventsOf(t, 'apologetic');
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event).toMatchObject({
        arm: 'fallback',
        modelVersion: null,
        outputs: { role: 'assistant', content: 'Sorry, try again later.' },
        promptTokens: null,
        costUsd: null,
      });
      expect(event.error).toContain('llm-broken@v1: the upstream answered 503');
    }
  });

  it('records a null cost, not 0, when no price is in effect at the time of the call', async () => {
    await client.chat.completions.create({ model: 'unpriced', messages });
    const stream = await client.chat.completions.create({ model: 'unpriced', messages, stream: true });
    for await (const _ of stream) {
      // read to the end
    }
    const events = await eventsOf(t, 'unpriced');
    expect(events).toHaveLength(2);
    for (const event of events) {
      expect(event.promptTokens).toBe(usageFor(messages).prompt_tokens);
      expect(event.costUsd).toBeNull();
    }
  });

  it('still records the tokens of a stream whose client left in the middle', async () => {
    // The test sees the server's side of the connection close before the upstream goes on.
    let closed: Promise<void> | undefined;
    const watch = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/v1/chat/completions') closed = new Promise((resolve) => res.on('close', resolve));
    };
    t.plumb.app.server.on('request', watch);
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'slow', messages, stream: true },
      { signal: controller.signal },
    );
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    // Passed on at once: the upstream has not sent the rest yet.
    expect(held.streamsFinished).toBe(0);
    controller.abort();
    await iterator.next().catch(() => undefined);
    await closed;
    t.plumb.app.server.off('request', watch);
    // The upstream still holds the rest; released, Plumb reads it to the end.
    await eventually(async () => (held.holding > 0 ? true : undefined));
    held.release();
    const event = await eventually(async () => (await eventsOf(t, 'slow'))[0]);
    const usage = usageFor(messages);
    expect(held.streamsFinished).toBe(1);
    expect(event).toMatchObject({
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
      outputs: { content: replyTo(messages).join('') },
    });
    expect(event.tags['plumb.client_disconnected']).toBe('true');
    expect(event.costUsd).toBeCloseTo(costOf(usage), 12);
  });

  it('passes on an upstream failure in the middle of a stream as an error event, and logs it', async () => {
    good.setMode('break');
    try {
      const stream = await client.chat.completions.create({ model: 'assistant', messages, stream: true });
      const error = await (async () => {
        for await (const _ of stream) {
          // read until it fails
        }
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.APIError);
    } finally {
      good.setMode('ok');
    }
    const event = (await eventsOf(t, 'assistant'))[0]!;
    expect(event.error).toContain('llm@v1');
    expect(event.completionTokens).toBeNull();
    expect(event.costUsd).toBeNull();
  });

  it('keeps a caller on one route of the split by its user or route key', async () => {
    await t.plumb.services.registry.registration.register(t.adminCtx, 'llm', {
      artifact: { kind: 'openai', baseUrl: good.baseUrl, model: 'small-chat' },
      description: '',
    });
    await createEndpoint(t, {
      name: 'split',
      routes: [
        { target: 'llm@v1', weight: 3 },
        { target: 'llm@v2', weight: 1 },
      ],
    });
    for (let i = 0; i < 6; i++)
      await client.chat.completions.create({ model: 'split', messages, user: 'alice' });
    for (let i = 0; i < 6; i++) {
      await client.chat.completions.create(
        { model: 'split', messages, stream: false },
        { headers: { 'x-plumb-route-key': 'bob' } },
      );
    }
    const sticky = await eventsOf(t, 'split');
    expect(sticky).toHaveLength(12);
    expect(new Set(sticky.slice(0, 6).map((e) => e.modelVersion)).size).toBe(1);
    expect(new Set(sticky.slice(6).map((e) => e.modelVersion)).size).toBe(1);

    for (let i = 0; i < 40; i++)
      await client.chat.completions.create({ model: 'split', messages, user: `user-${i}` });
    const spread = (await eventsOf(t, 'split')).slice(0, 40);
    const arms = new Map(spread.map((e) => [e.modelVersion, e.arm]));
    expect(arms).toEqual(
      new Map([
        ['llm@v1', 'primary'],
        ['llm@v2', 'canary'],
      ]),
    );
  });

  it("answers errors in OpenAI's shape: unknown endpoint, bad body, bad key, missing permission", async () => {
    const missing = await client.chat.completions
      .create({ model: 'nowhere', messages })
      .catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({
      status: 404,
      code: 'model_not_found',
      type: 'invalid_request_error',
      param: 'model',
    });

    const raw = await fetch(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${serviceKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'assistant', messages: [] }),
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as { error: Record<string, unknown> };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'messages' });

    const stranger = new OpenAI({ apiKey: 'plumb_not_a_key', baseURL, maxRetries: 0 });
    const unauthenticated = await stranger.chat.completions
      .create({ model: 'assistant', messages })
      .catch((e) => e);
    expect(unauthenticated).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(unauthenticated).toMatchObject({
      status: 401,
      code: 'unauthenticated',
      type: 'invalid_request_error',
    });

    const viewer = new OpenAI({ apiKey: await t.keyFor('viewer'), baseURL, maxRetries: 0 });
    const denied = await viewer.chat.completions.create({ model: 'assistant', messages }).catch((e) => e);
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(denied).toMatchObject({ status: 403, code: 'permission_denied' });
  });

  it('refuses a chat completion on an endpoint whose version is not an OpenAI-compatible upstream', async () => {
    await t.plumb.services.registry.models.create(t.adminCtx, {
      name: 'tabular',
      description: '',
      riskClass: 'limited',
      policy: { gatedAliases: [], approvalRequired: false },
    });
    await t.plumb.services.registry.registration.register(t.adminCtx, 'tabular', {
      artifact: { kind: 'oip', url: `${good.baseUrl}/v2/models/x` },
      description: '',
    });
    await createEndpoint(t, { name: 'classic', routes: [{ target: 'tabular@v1', weight: 1 }] });
    const error = await client.chat.completions.create({ model: 'classic', messages }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.message).toContain('not an OpenAI-compatible upstream');
  });

  it('lists the endpoints that serve OpenAI-compatible upstreams as models', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['assistant', 'resilient', 'unpriced', 'slow', 'down']));
    expect(ids).not.toContain('classic');
    expect((await client.models.retrieve('assistant')).id).toBe('assistant');
    const missing = await client.models.retrieve('classic').catch((e) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('shows answers, fallbacks, errors, tokens and cost per endpoint and version on /metrics', async () => {
    const text = (await t.call('GET', '/metrics', { key: null })).body;
    const project = t.adminCtx.principal.projectId;
    const value = (name: string, labels: Record<string, string>) =>
      prometheusValue(text, name, { project, ...labels });
    const events = await eventsOf(t, 'assistant');
    const answered = events.filter((e) => e.modelVersion === 'llm@v1');
    const prompt = answered.reduce((n, e) => n + (e.promptTokens ?? 0), 0);
    const cost = answered.reduce((n, e) => n + (e.costUsd ?? 0), 0);
    expect(
      value('plumb_serving_answers_total', { endpoint: 'assistant', version: 'llm@v1', arm: 'primary' }),
    ).toBe(answered.length);
    expect(
      value('plumb_serving_tokens_total', { endpoint: 'assistant', version: 'llm@v1', kind: 'prompt' }),
    ).toBe(prompt);
    expect(value('plumb_serving_cost_usd_total', { endpoint: 'assistant', version: 'llm@v1' })).toBeCloseTo(
      cost,
      12,
    );
    expect(value('plumb_serving_fallbacks_total', { endpoint: 'resilient', version: 'llm@v1' })).toBe(2);
    expect(value('plumb_serving_errors_total', { endpoint: 'resilient', version: 'llm-broken@v1' })).toBe(2);
    expect(value('plumb_serving_unpriced_total', { endpoint: 'unpriced', version: 'llm-free@v1' })).toBe(2);
    expect(
      value('plumb_serving_first_token_seconds_count', { endpoint: 'assistant', version: 'llm@v1' }),
    ).toBeGreaterThan(0);
    expect(value('plumb_serving_latency_seconds_count', { endpoint: 'assistant', version: 'llm@v1' })).toBe(
      answered.length,
    );
  });
});
