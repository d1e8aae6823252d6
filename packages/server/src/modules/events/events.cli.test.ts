import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, type CliFixture, startCliFixture } from '../../testing/cli-harness.js';
import type { InferenceEventInput } from './events.contract.js';

describe('plumb events', () => {
  let f: CliFixture;
  let projectId: string;
  const event = (over: Partial<InferenceEventInput>): InferenceEventInput => ({
    projectId,
    endpoint: 'churn',
    modelVersion: 'churn@v1',
    modelVersionId: null,
    arm: 'primary',
    inputs: {},
    outputs: {},
    latencyMs: 3,
    ...over,
  });

  beforeAll(async () => {
    f = await startCliFixture();
    projectId = f.t.adminCtx.principal.projectId;
    await f.t.plumb.services.events.record([
      event({ id: 'prd_one', time: '2030-01-01T00:00:00.000Z', label: 'stay', confidence: 0.9 }),
      event({
        id: 'prd_two',
        time: '2030-01-01T00:01:00.000Z',
        arm: 'canary',
        // Written by someone else: it must not drive the terminal.
        tags: { note: '\u001b[2Jgone' },
      }),
      event({ id: 'prd_three', time: '2030-01-01T00:02:00.000Z', endpoint: 'fraud' }),
    ]);
  });
  afterAll(() => f.dispose());

  it('lists events as a table, filtered, with text from the server escaped', async () => {
    const table = await f.plumb(['events', 'list', '--endpoint', 'churn']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+ID\s+ENDPOINT\s+MODELVERSION\s+ARM/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/)[1])).toEqual(['prd_two', 'prd_one']);
    const canary = await f.plumb(['events', 'list', '--arm', 'canary', '--json']);
    expect(JSON.parse(canary.stdout).map((e: { id: string }) => e.id)).toEqual(['prd_two']);
    expect(canary.stdout).not.toContain('\u001b');

    const bad = await f.plumb(['events', 'list', '--tag', 'novalue']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid_argument');
  });

  it('tail follows only events recorded after it started, one escaped line each', async () => {
    const child = spawn(
      process.execPath,
      [CLI_PATH, 'events', 'tail', 'churn', '--interval', '20', '--count', '2'],
      { env: { PATH: process.env.PATH ?? '', PLUMB_URL: url(), PLUMB_API_KEY: f.t.adminSecret } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    let running = true;
    void exited.then(() => {
      running = false;
    });
    // The tail starts at the end of the log whenever its first poll lands, so events keep coming
    // until it has printed two: bounded by count and time.
    const deadline = Date.now() + 20_000;
    for (let i = 0; running && i < 400 && Date.now() < deadline; i++) {
      await f.t.plumb.services.events.record([
        event({ id: `prd_live${i}`, tags: { i: String(i), note: '\u001b[31mred' } }),
        event({ id: `prd_elsewhere${i}`, endpoint: 'fraud' }),
      ]);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await exited, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(/prd_live\d+\s+churn\s+churn@v1\s+primary\s+3ms/);
      expect(line).toContain('note=\\u001b[31mred');
      expect(line).not.toContain('\u001b');
    }
    // Consecutive live events, none of those recorded before it started.
    const [a, b] = lines.map((l) => Number(/prd_live(\d+)/.exec(l)![1]));
    expect(b).toBe(a! + 1);
    expect(stdout).not.toMatch(/prd_one|prd_two|prd_elsewhere/);
  });

  function url(): string {
    const address = f.t.plumb.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return `http://127.0.0.1:${address.port}`;
  }
});
