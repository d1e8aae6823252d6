import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { registerPerformanceCommands } from '../performance/performance.cli.js';
import { registerAlertCommands } from './alerts.cli.js';

// The commands in process against a listening server, as `plumb` runs them.
describe('plumb alert and plumb monitor performance', () => {
  let t: TestPlumb;
  const hourAgo = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

  beforeAll(async () => {
    t = await createTestPlumb();
    process.env.PLUMB_URL = await t.plumb.app.listen({ host: '127.0.0.1', port: 0 });
    process.env.PLUMB_API_KEY = await t.keyFor('maintainer');
    const events = [120, 480].map((latencyMs, i) => ({
      time: new Date(hourAgo + i * 60_000).toISOString(),
      endpoint: 'churn',
      modelVersion: 'churn@v1',
      label: 'yes',
      score: 0.9,
      latencyMs,
    }));
    expect((await t.call('POST', '/api/v1/events', { body: { events } })).statusCode).toBe(201);
  });
  afterAll(() => t.dispose());

  const plumb = async (...args: string[]): Promise<{ out: string; code: number }> => {
    const program = new Command('plumb').option('--json').exitOverride();
    registerAlertCommands(program);
    registerPerformanceCommands(program);
    let out = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    process.exitCode = 0;
    try {
      await program.parseAsync(['node', 'plumb', ...args]);
    } finally {
      write.mockRestore();
      errors.mockRestore();
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return { out, code };
  };

  it('creates and lists rules, evaluates, lists, acknowledges and resolves alerts', async () => {
    const created = await plumb(
      'alert',
      'rule',
      'create',
      'slow',
      '--endpoint',
      'churn',
      '--metric',
      'latency_p99_ms',
      '--threshold',
      '250',
    );
    expect(created.out).toMatch(/created alert rule slow .* latency_p99_ms > 250 for 1 window of 1h/);
    expect((await plumb('alert', 'rule', 'list')).out).toMatch(/slow\s+churn\s+latency_p99_ms > 250/);
    // As of the middle of the slow hour, its window is not closed yet.
    const midHour = new Date(hourAgo + 1_800_000).toISOString();
    expect((await plumb('alert', 'evaluate', '--at', midHour)).out).toBe(
      `1 rules as of ${midHour}: 0 opened, 0 resolved\n`,
    );
    const window = `${new Date(hourAgo).toISOString()} – ${new Date(hourAgo + 3_600_000).toISOString()}`;
    expect((await plumb('alert', 'evaluate')).out).toMatch(
      new RegExp(`^1 rules: 1 opened, 0 resolved\\nopened alr_\\w+: slow, value 480 in ${window}\\n$`),
    );

    const listed = JSON.parse((await plumb('--json', 'alert', 'list', '--status', 'open')).out) as {
      id: string;
      value: number;
    }[];
    expect(listed).toHaveLength(1);
    expect(listed[0]!.value).toBe(480);
    const id = listed[0]!.id;
    expect((await plumb('alert', 'ack', id)).out).toBe(`acknowledged ${id} (slow)\n`);
    expect((await plumb('alert', 'resolve', id)).out).toBe(`resolved ${id} (slow)\n`);
    expect((await plumb('alert', 'show', id)).out).toMatch(
      new RegExp(`^${id} resolved: slow on churn .*, opened on the window ${window} as of `),
    );
    const again = await plumb('alert', 'ack', id);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/is resolved; cannot acknowledge/);
  });

  it('prints performance per window, and JSON with --json', async () => {
    const from = new Date(hourAgo).toISOString();
    const to = new Date(hourAgo + 3_600_000).toISOString();
    const text = await plumb('monitor', 'performance', 'churn', '--from', from, '--to', to);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^churn from .* windows of 1h, positive class yes\n/);
    expect(text.out).toMatch(/WINDOW\s+VERSION\s+PREDICTIONS\s+LABELLED\s+ACCURACY\s+EST\.ACCURACY/);
    const json = JSON.parse(
      (await plumb('--json', 'monitor', 'performance', 'churn', '--from', from, '--to', to)).out,
    );
    expect(json.series[0].traffic.predictions).toBe(2);
  });
});
