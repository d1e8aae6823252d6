import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';

describe('plumb endpoint price', () => {
  let cli: CliFixture;

  beforeAll(async () => {
    cli = await startCliFixture();
  });
  afterAll(() => cli.dispose());

  const plumb = (...args: string[]) => cli.plumb(args);

  it('sets prices from dates and lists them', async () => {
    const set = await plumb(
      'endpoint',
      'price',
      'set',
      'gpt-4o-mini',
      '--input-per-1m',
      '0.15',
      '--output-per-1m',
      '0.60',
      '--from',
      '2026-01-01',
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toBe('gpt-4o-mini: $0.15 in, $0.6 out per 1M tokens from 2026-01-01T00:00:00.000Z\n');
    await plumb(
      'endpoint',
      'price',
      'set',
      'gpt-4o-mini',
      '--input-per-1m',
      '0.2',
      '--output-per-1m',
      '0.8',
      '--from',
      '2026-06-01',
    );

    const listed = await plumb('endpoint', 'price', 'list', '--model', 'gpt-4o-mini', '--json');
    expect(listed.code).toBe(0);
    expect(
      JSON.parse(listed.stdout).map((p: { inputPer1m: number; outputPer1m: number; from: string }) => [
        p.inputPer1m,
        p.outputPer1m,
        p.from,
      ]),
    ).toEqual([
      [0.15, 0.6, '2026-01-01T00:00:00.000Z'],
      [0.2, 0.8, '2026-06-01T00:00:00.000Z'],
    ]);
    const table = await plumb('endpoint', 'price', 'list');
    expect(table.stdout.split('\n')[0]).toMatch(/^UPSTREAMMODEL\s+INPUTPER1M\s+OUTPUTPER1M\s+FROM/);
  });

  it('refuses a price that is not a number, and a missing date', async () => {
    const bad = await plumb(
      'endpoint',
      'price',
      'set',
      'm',
      '--input-per-1m',
      'cheap',
      '--output-per-1m',
      '1',
      '--from',
      '2026-01-01',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--input-per-1m must be a non-negative number of USD, got cheap');
    const noDate = await plumb(
      'endpoint',
      'price',
      'set',
      'm',
      '--input-per-1m',
      '1',
      '--output-per-1m',
      '1',
    );
    expect(noDate.code).not.toBe(0);
    expect(noDate.stderr).toContain('--from');
  });
});
