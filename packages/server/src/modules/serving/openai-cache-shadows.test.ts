import type { InferenceEvent, ShadowReport } from '@plumb/sdk';
import type OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import {
  eventually,
  listenWithClient,
  registerChatModel,
  replyTo,
  startChatUpstream,
  usageFor,
} from './openai-upstream.test-kit.js';
import { createEndpoint, eventsOf } from './serving.test-kit.js';

// The endpoint's response cache and shadows for chat completions, through the official openai
// client: a cached call never reaches the upstream and costs nothing; shadows get a copy after
// the answer, and a slow or failing one neither delays nor changes it.

const PRICE = { inputPer1m: 0.15, outputPer1m: 0.6 };
const ALT_PRICE = { inputPer1m: 1, outputPer1m: 2 };

describeEachBackend('OpenAI chat completions: cache and shadows', (backend) => {
  let t: TestPlumb;
  let client: OpenAI;
  let good: Awaited<ReturnType<typeof startChatUpstream>>;
  let alt: Awaited<ReturnType<typeof startChatUpstream>>;
  let failing: Awaited<ReturnType<typeof startChatUpstream>>;
  let stalled: Awaited<ReturnType<typeof startChatUpstream>>;
  let breaking: Awaited<ReturnType<typeof startChatUpstream>>;

  const registerChat = (model: string, baseUrl: string, upstreamModel: string) =>
    registerChatModel(t, model, { baseUrl, model: upstreamModel });

  async function shadowReport(endpoint: string): Promise<Record<string, ShadowReport>> {
    const response = await t.call('GET', `/api/v1/endpoints/${endpoint}/shadows`);
    expect(response.statusCode, response.body).toBe(200);
    return Object.fromEntries((response.json().shadows as ShadowReport[]).map((s) => [s.shadow, s] as const));
  }

  const byTime = (events: InferenceEvent[]) => [...events].sort((a, b) => a.time.localeCompare(b.time));

  beforeAll(async () => {
    t = await createTestPlumb(backend);
    good = await startChatUpstream('ok');
    alt = await startChatUpstream('ok', { greeting: 'They' });
    failing = await startChatUpstream('fail');
    stalled = await startChatUpstream('stall');
    breaking = await startChatUpstream('break');
    await registerChat('llm', good.baseUrl, 'small-chat');
    await registerChat('llm-same', good.baseUrl, 'small-chat');
    await registerChat('llm-alt', alt.baseUrl, 'alt-chat');
    await registerChat('llm-fail', failing.baseUrl, 'small-chat');
    await registerChat('llm-stall', stalled.baseUrl, 'small-chat');
    await registerChat('llm-break', breaking.baseUrl, 'small-chat');
    for (const [upstreamModel, price] of [
      ['small-chat', PRICE],
      ['alt-chat', ALT_PRICE],
    ] as const) {
      const response = await t.call('POST', '/api/v1/prices', {
        body: { upstreamModel, ...price, from: '2020-01-01' },
      });
      expect(response.statusCode, response.body).toBe(201);
    }
    await createEndpoint(t, {
      name: 'cached',
      routes: [{ target: 'llm@v1', weight: 1 }],
      cacheTtlMs: 60_000,
    });
    await createEndpoint(t, { name: 'brief', routes: [{ target: 'llm@v1', weight: 1 }], cacheTtlMs: 300 });
    await createEndpoint(t, { name: 'uncached', routes: [{ target: 'llm@v1', weight: 1 }] });
    await createEndpoint(t, {
      name: 'shadowed',
      routes: [{ target: 'llm@v1', weight: 1 }],
      shadows: ['llm-same@v1', 'llm-alt@v1', 'llm-fail@v1', 'llm-stall@v1'],
      timeoutMs: 30_000,
    });

    client = await listenWithClient(t);
  });
  afterAll(async () => {
    await Promise.all([good.close(), alt.close(), failing.close(), stalled.close(), breaking.close()]);
    await t?.dispose();
  });

  it('answers a repeated request from the cache, plain or streamed, without calling the upstream and at no cost', async () => {
    const messages = [{ role: 'user' as const, content: 'cache this answer' }];
    const before = good.requests.length;
    const first = await client.chat.completions
      .create({ model: 'cached', messages, metadata: { team: 'a' } })
      .withResponse();
    expect(good.requests.length).toBe(before + 1);

    // Tags are not part of the request the upstream answers: another team's call hits too.
    const second = await client.chat.completions
      .create({ model: 'cached', messages, metadata: { team: 'b' } })
      .withResponse();
    expect(second.data).toEqual(first.data);
    const stream = await client.chat.completions.create({
      model: 'cached',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(good.requests.length).toBe(before + 1);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(replyTo(messages).join(''));
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)!.usage).toMatchObject(usageFor(messages));

    const [paid, hit, streamedHit] = byTime(await eventsOf(t, 'cached'));
    const firstId = first.response.headers.get('x-plumb-prediction-id');
    expect(paid).toMatchObject({
      id: firstId,
      arm: 'primary',
      promptTokens: usageFor(messages).prompt_tokens,
    });
    expect(paid!.costUsd).toBeGreaterThan(0);
    for (const event of [hit, streamedHit]) {
      expect(event).toMatchObject({
        arm: 'cache',
        modelVersion: 'llm@v1',
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
        outputs: { role: 'assistant', content: replyTo(messages).join('') },
      });
      expect(event!.tags['plumb.cache_of']).toBe(firstId);
    }
    expect(hit!.id).toBe(second.response.headers.get('x-plumb-prediction-id'));
    expect(hit!.tags.team).toBe('b');

    // A different conversation is a different request.
    await client.chat.completions.create({ model: 'cached', messages: [{ role: 'user', content: 'other' }] });
    expect(good.requests.length).toBe(before + 2);
  });

  it('keeps a streamed answer for a plain call of the same request', async () => {
    const messages = [{ role: 'user' as const, content: 'streamed first then plain' }];
    const before = good.requests.length;
    const stream = await client.chat.completions.create({ model: 'cached', messages, stream: true });
    for await (const _ of stream) {
      // read to the end
    }
    const plain = await client.chat.completions.create({ model: 'cached', messages });
    expect(good.requests.length).toBe(before + 1);
    expect(plain.choices[0]).toMatchObject({
      index: 0,
      finish_reason: 'stop',
      message: { role: 'assistant', content: replyTo(messages).join('') },
    });
    expect(plain.usage).toMatchObject(usageFor(messages));
  });

  it('keeps no stream that broke off', async () => {
    await createEndpoint(t, {
      name: 'cached-breaking',
      routes: [{ target: 'llm-break@v1', weight: 1 }],
      cacheTtlMs: 60_000,
    });
    const messages = [{ role: 'user' as const, content: 'half an answer' }];
    for (let i = 0; i < 2; i++) {
      const stream = await client.chat.completions.create({
        model: 'cached-breaking',
        messages,
        stream: true,
      });
      await expect(
        (async () => {
          for await (const _ of stream) {
            // read until it breaks
          }
        })(),
      ).rejects.toThrow();
    }
    expect(breaking.requests.length).toBe(2);
    expect((await eventsOf(t, 'cached-breaking')).map((e) => e.arm)).toEqual(['primary', 'primary']);
  });

  it('asks the upstream again once the entry expired, and never caches without a TTL', async () => {
    const messages = [{ role: 'user' as const, content: 'short lived' }];
    const before = good.requests.length;
    await client.chat.completions.create({ model: 'brief', messages });
    await client.chat.completions.create({ model: 'brief', messages });
    expect(good.requests.length).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 400));
    await client.chat.completions.create({ model: 'brief', messages });
    expect(good.requests.length).toBe(before + 2);

    await client.chat.completions.create({ model: 'uncached', messages });
    await client.chat.completions.create({ model: 'uncached', messages });
    expect(good.requests.length).toBe(before + 4);
    expect((await eventsOf(t, 'uncached')).map((e) => e.arm)).toEqual(['primary', 'primary']);
  });

  it('sends shadows a copy after answering: a slow or failing shadow neither delays nor changes the answer', async () => {
    const messages = [{ role: 'user' as const, content: 'compare the shadows' }];
    const started = performance.now();
    const plain = await client.chat.completions.create({ model: 'shadowed', messages });
    const stream = await client.chat.completions.create({ model: 'shadowed', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    const answeredMs = performance.now() - started;
    expect(plain.choices[0]!.message.content).toBe(replyTo(messages).join(''));
    expect(text).toBe(replyTo(messages).join(''));
    // Both answers came back while the stalled shadow still holds its copies.
    await eventually(async () => (stalled.holding === 2 ? true : undefined));
    expect(answeredMs).toBeLessThan(5_000);
    expect(alt.requests.at(-1)!.stream).toBe(false);
    expect(failing.requests.length).toBe(2);

    stalled.release();
    await t.plumb.services.chat.shadows.drain();
    const shadows = await eventsOf(t, 'shadowed', 'shadow');
    const of = (ref: string) => shadows.filter((e) => e.modelVersion === ref);
    expect(of('llm-alt@v1')).toHaveLength(2);
    const usage = usageFor(messages);
    for (const event of of('llm-alt@v1')) {
      expect(event).toMatchObject({
        outputs: { role: 'assistant', content: replyTo(messages, 'They').join('') },
        promptTokens: usage.prompt_tokens,
        completionTokens: usage.completion_tokens,
        error: null,
      });
      expect(event.costUsd).toBeCloseTo(
        (usage.prompt_tokens * ALT_PRICE.inputPer1m + usage.completion_tokens * ALT_PRICE.outputPer1m) / 1e6,
        12,
      );
    }
    for (const ref of ['llm-fail@v1', 'llm-stall@v1']) {
      expect(of(ref)).toHaveLength(2);
      for (const event of of(ref)) expect(event).toMatchObject({ outputs: null, costUsd: null });
    }
    expect(of('llm-fail@v1')[0]!.error).toContain('the upstream answered 503');
    // The caller's answers are logged once each, as the primary's.
    expect((await eventsOf(t, 'shadowed', 'primary')).map((e) => e.modelVersion)).toEqual([
      'llm@v1',
      'llm@v1',
    ]);

    const report = await shadowReport('shadowed');
    expect(report['llm-same@v1']).toMatchObject({
      compared: 2,
      failed: 0,
      labelAgreement: 1,
      meanAbsScoreDiff: 0,
    });
    // "They said: …" against "You said: …": never the same text, one character longer.
    expect(report['llm-alt@v1']).toMatchObject({
      compared: 2,
      failed: 0,
      labelAgreement: 0,
      meanAbsScoreDiff: 1,
    });
    expect(report['llm-alt@v1']!.meanLatencyDiffMs).not.toBeNull();
    expect(report['llm-fail@v1']).toMatchObject({ compared: 0, failed: 2, labelAgreement: null });
    expect(report['llm-stall@v1']).toMatchObject({ compared: 0, failed: 2 });
  });

  it('sends no shadow copy for an answer from the cache', async () => {
    await createEndpoint(t, {
      name: 'cached-shadowed',
      routes: [{ target: 'llm@v1', weight: 1 }],
      shadows: ['llm-alt@v1'],
      cacheTtlMs: 60_000,
    });
    const messages = [{ role: 'user' as const, content: 'one copy only' }];
    const before = alt.requests.length;
    await client.chat.completions.create({ model: 'cached-shadowed', messages });
    await client.chat.completions.create({ model: 'cached-shadowed', messages });
    await t.plumb.services.chat.shadows.drain();
    expect(alt.requests.length).toBe(before + 1);
    expect((await shadowReport('cached-shadowed'))['llm-alt@v1']).toMatchObject({ compared: 1 });
  });
});
