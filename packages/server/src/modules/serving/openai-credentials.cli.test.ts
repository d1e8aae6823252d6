import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';

// `plumb model register --api-key-env` and `show-version` through the built CLI against a
// listening server: the key's reference is registered, and whether the server has the key shows.

describe('plumb model register with an upstream API key', () => {
  let cli: CliFixture;
  const name = `OPENAI_CLI_KEY_${randomBytes(4).toString('hex').toUpperCase()}`;

  beforeAll(async () => {
    cli = await startCliFixture();
  });
  afterAll(async () => {
    delete process.env[name];
    await cli.dispose();
  });

  it('registers the reference and shows whether the server has the key', async () => {
    const registered = await cli.plumb([
      'model',
      'register',
      'chat',
      '--upstream-openai',
      'http://127.0.0.1:9/v1',
      '--upstream-model',
      'small-chat',
      '--api-key-env',
      name,
      '--risk-class',
      'limited',
    ]);
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toContain('registered chat@v1');

    const missing = await cli.plumb(['model', 'show-version', 'chat@v1']);
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.stdout).toContain(
      `api key from the environment variable ${name}: MISSING, the environment variable ${name} is not set on the Plumb server`,
    );

    // The server reads its own environment at each look: set now, shown present.
    process.env[name] = 'sk-cli-test';
    const present = await cli.plumb(['model', 'show-version', 'chat@v1', '--json']);
    expect(present.code, present.stderr).toBe(0);
    const version = JSON.parse(present.stdout);
    expect(version.artifact).toMatchObject({ kind: 'openai', apiKeyEnv: name });
    expect(version.upstreamKey).toEqual({ reference: `environment variable ${name}`, problem: null });
    expect(present.stdout).not.toContain('sk-cli-test');
  });

  it('refuses a key option without an OpenAI-compatible upstream, and a reserved variable', async () => {
    const alone = await cli.plumb([
      'model',
      'register',
      'chat',
      '--upstream-oip',
      'http://h/v2/models/m',
      '--api-key-env',
      name,
    ]);
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toContain('--api-key-env and --api-key-file go with --upstream-openai');

    const reserved = await cli.plumb([
      'model',
      'register',
      'chat',
      '--upstream-openai',
      'http://127.0.0.1:9/v1',
      '--upstream-model',
      'small-chat',
      '--api-key-env',
      'PLUMB_ADMIN_KEY',
    ]);
    expect(reserved.code).not.toBe(0);
    expect(reserved.stderr).toContain("Plumb's own PLUMB_ variables");
  });
});
