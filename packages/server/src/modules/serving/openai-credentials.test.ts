import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelVersion } from '@plumb/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { describeVersion } from '../registry/registry-format.js';
import { listenWithClient, replyTo, startChatUpstream } from './openai-upstream.test-kit.js';
import { createEndpoint, eventsOf } from './serving.test-kit.js';

// Upstream API keys named by reference: the official openai client against a listening Plumb
// whose upstream refuses calls without its key. The key lives in the server's environment or
// secrets folder; the registry, the audit chain and the inference log hold only its name.

const KEY = `sk-test-${randomBytes(12).toString('hex')}`;
const WRONG = `sk-wrong-${randomBytes(12).toString('hex')}`;
const suffix = randomBytes(4).toString('hex').toUpperCase();
const KEY_ENV = `OPENAI_TEST_KEY_${suffix}`;
const UNSET_ENV = `OPENAI_TEST_UNSET_${suffix}`;
const WRONG_ENV = `OPENAI_TEST_WRONG_${suffix}`;

describe('OpenAI-compatible upstreams with API keys', () => {
  let t: TestPlumb;
  let client: OpenAI;
  let upstream: Awaited<ReturnType<typeof startChatUpstream>>;

  async function register(model: string, artifact: Record<string, unknown>) {
    await t.plumb.services.registry.models.create(t.adminCtx, {
      name: model,
      description: '',
      riskClass: 'limited',
      policy: { gatedAliases: [], approvalRequired: false },
    });
    return t.call('POST', `/api/v1/models/${model}/versions`, {
      body: { artifact: { kind: 'openai', baseUrl: upstream.baseUrl, model: 'small-chat', ...artifact } },
    });
  }

  const messages = [{ role: 'user' as const, content: 'is the key safe' }];

  beforeAll(async () => {
    t = await createTestPlumb('sqlite');
    upstream = await startChatUpstream('ok', { apiKey: KEY });
    process.env[KEY_ENV] = KEY;
    process.env[WRONG_ENV] = WRONG;
    mkdirSync(join(t.home, 'secrets'));
    writeFileSync(join(t.home, 'secrets', 'upstream.key'), `${KEY}\n`);

    for (const [model, artifact] of [
      ['llm-env', { apiKeyEnv: KEY_ENV }],
      ['llm-file', { apiKeyFile: 'upstream.key' }],
      ['llm-unset', { apiKeyEnv: UNSET_ENV }],
      ['llm-wrong', { apiKeyEnv: WRONG_ENV }],
      ['llm-none', {}],
    ] as const) {
      const response = await register(model, artifact);
      expect(response.statusCode, response.body).toBe(201);
    }
    await createEndpoint(t, { name: 'from-env', routes: [{ target: 'llm-env@v1', weight: 1 }] });
    await createEndpoint(t, { name: 'from-file', routes: [{ target: 'llm-file@v1', weight: 1 }] });
    await createEndpoint(t, { name: 'unset', routes: [{ target: 'llm-unset@v1', weight: 1 }] });
    await createEndpoint(t, { name: 'wrong', routes: [{ target: 'llm-wrong@v1', weight: 1 }] });
    await createEndpoint(t, { name: 'keyless', routes: [{ target: 'llm-none@v1', weight: 1 }] });
    await createEndpoint(t, {
      name: 'unset-then-env',
      routes: [{ target: 'llm-unset@v1', weight: 1 }],
      fallback: { versions: ['llm-env@v1'], defaultResponse: null },
    });

    client = await listenWithClient(t);
  });
  afterAll(async () => {
    delete process.env[KEY_ENV];
    delete process.env[WRONG_ENV];
    await upstream.close();
    await t?.dispose();
  });

  it('sends the key from the named environment variable or secret file as a bearer token', async () => {
    for (const model of ['from-env', 'from-file']) {
      const completion = await client.chat.completions.create({ model, messages });
      expect(completion.choices[0]!.message.content).toBe(replyTo(messages).join(''));
      expect(upstream.authorizations.at(-1)).toBe(`Bearer ${KEY}`);
      const stream = await client.chat.completions.create({ model, messages, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe(replyTo(messages).join(''));
      expect(upstream.authorizations.at(-1)).toBe(`Bearer ${KEY}`);
    }
  });

  it('reads the variable at each call: set later, the next call has it', async () => {
    const name = `OPENAI_TEST_LATE_${suffix}`;
    expect((await register('llm-late', { apiKeyEnv: name })).statusCode).toBe(201);
    await createEndpoint(t, { name: 'late', routes: [{ target: 'llm-late@v1', weight: 1 }] });
    await expect(client.chat.completions.create({ model: 'late', messages })).rejects.toThrow(name);
    process.env[name] = KEY;
    try {
      const completion = await client.chat.completions.create({ model: 'late', messages });
      expect(completion.choices[0]!.message.content).toBe(replyTo(messages).join(''));
    } finally {
      delete process.env[name];
    }
  });

  it('fails clearly, in OpenAI shape, when the variable is not set, and logs why', async () => {
    const before = upstream.requests.length;
    const error = (await client.chat.completions
      .create({ model: 'unset', messages })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(503);
    expect(error.type).toBe('server_error');
    expect(error.message).toContain(`llm-unset@v1: no API key for the upstream`);
    expect(error.message).toContain(`environment variable ${UNSET_ENV} is not set on the Plumb server`);
    // Nothing was sent: a call without its key is not made at all.
    expect(upstream.requests.length).toBe(before);
    const [event] = await eventsOf(t, 'unset');
    expect(event!.error).toContain(UNSET_ENV);
  });

  it('falls back when the routed version has no key', async () => {
    const completion = await client.chat.completions
      .create({ model: 'unset-then-env', messages })
      .withResponse();
    expect(completion.data.choices[0]!.message.content).toBe(replyTo(messages).join(''));
    expect(completion.response.headers.get('x-plumb-model-version')).toBe('llm-env@v1');
    const [event] = await eventsOf(t, 'unset-then-env');
    expect(event).toMatchObject({ arm: 'fallback', modelVersion: 'llm-env@v1' });
    expect(event!.error).toContain(`${UNSET_ENV} is not set`);
  });

  it('keeps a refused key out of the error the upstream quotes it in', async () => {
    const error = (await client.chat.completions
      .create({ model: 'wrong', messages })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(503);
    expect(error.message).toContain('the upstream answered 401: Incorrect API key provided: [api key]');
    expect(error.message).not.toContain(WRONG);
    expect(upstream.authorizations.at(-1)).toBe(`Bearer ${WRONG}`);
    const [event] = await eventsOf(t, 'wrong');
    expect(event!.error).toContain('[api key]');
    expect(event!.error).not.toContain(WRONG);
  });

  it('calls a version without a key reference without one', async () => {
    await expect(client.chat.completions.create({ model: 'keyless', messages })).rejects.toThrow(
      'the upstream answered 401',
    );
    expect(upstream.authorizations.at(-1)).toBeUndefined();
  });

  it("shows where each version's key comes from and whether the server has it", async () => {
    const show = async (ref: string) => {
      const response = await t.call('GET', `/api/v1/models/${ref.replace('@', '/versions/')}`);
      expect(response.statusCode, response.body).toBe(200);
      return response.json() as ModelVersion;
    };
    const env = await show('llm-env@v1');
    expect(env.artifact).toMatchObject({ kind: 'openai', apiKeyEnv: KEY_ENV });
    expect(env.upstreamKey).toEqual({ reference: `environment variable ${KEY_ENV}`, problem: null });
    expect(describeVersion(env)).toContain(`api key from the environment variable ${KEY_ENV}: present`);

    const unset = await show('llm-unset@v1');
    expect(unset.upstreamKey!.problem).toBe(
      `the environment variable ${UNSET_ENV} is not set on the Plumb server`,
    );
    expect(describeVersion(unset)).toContain(`MISSING, the environment variable ${UNSET_ENV} is not set`);

    const file = await show('llm-file@v1');
    expect(file.upstreamKey).toEqual({ reference: 'secret file upstream.key', problem: null });
    expect((await show('llm-none@v1')).upstreamKey).toBeUndefined();

    const card = await t.call('GET', '/api/v1/models/llm-env/versions/v1/card');
    expect(card.json().markdown).toContain(`API key from the server's environment variable ${KEY_ENV}`);
  });

  it('refuses references that are not a variable or file name, or name Plumb’s own secrets', async () => {
    const refused = async (artifact: Record<string, unknown>) => {
      const response = await t.call('POST', '/api/v1/models/llm-env/versions', {
        body: { artifact: { kind: 'openai', baseUrl: upstream.baseUrl, model: 'small-chat', ...artifact } },
      });
      expect(response.statusCode).toBe(400);
      return response.json().error.message as string;
    };
    expect(await refused({ apiKeyEnv: 'PLUMB_ADMIN_KEY' })).toContain("Plumb's own PLUMB_ variables");
    expect(await refused({ apiKeyEnv: 'not a name' })).toContain('environment variable name');
    expect(await refused({ apiKeyFile: '../plumb.db' })).toContain('without a path');
    expect(await refused({ apiKeyFile: '/etc/passwd' })).toContain('without a path');
    expect(await refused({ apiKeyEnv: KEY_ENV, apiKeyFile: 'upstream.key' })).toContain('not both');
  });

  it('stores no key anywhere: not in the database file, its write-ahead log, or the audit chain', async () => {
    const audit = await t.call('GET', '/api/v1/audit?limit=500');
    expect(audit.statusCode).toBe(200);
    expect(audit.body).toContain(KEY_ENV);
    expect(audit.body).not.toContain(KEY);
    expect(audit.body).not.toContain(WRONG);

    const file = t.plumb.db.file!;
    let searched = 0;
    let nameFound = false;
    for (const path of [file, `${file}-wal`]) {
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path);
      searched += bytes.length;
      expect(bytes.includes(KEY)).toBe(false);
      expect(bytes.includes(WRONG)).toBe(false);
      nameFound ||= bytes.includes(KEY_ENV);
    }
    expect(searched).toBeGreaterThan(0);
    // The search would find a key were one there: the variable's name, stored beside it, is found.
    expect(nameFound).toBe(true);
  });
});
