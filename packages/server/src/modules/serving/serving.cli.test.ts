import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';
import { MODELS, registerWeather, rowFeatures, rowInput } from './serving.test-kit.js';

describe('plumb endpoint and plumb predict', () => {
  let cli: CliFixture;

  beforeAll(async () => {
    cli = await startCliFixture();
    await registerWeather(cli.t);
  });
  afterAll(() => cli.dispose());

  const plumb = (...args: string[]) => cli.plumb(args);

  it('create, update, show, list and delete an endpoint', async () => {
    const created = await plumb(
      'endpoint',
      'create',
      'forecast',
      '--route',
      'weather@champion=90',
      '--route',
      'weather@challenger=10',
      '--review-threshold',
      '0.5',
      '--redact',
      'email:hash',
      '--json',
    );
    expect(created.stderr).toBe('');
    expect(JSON.parse(created.stdout)).toMatchObject({
      routes: [
        { target: 'weather@champion', weight: 90 },
        { target: 'weather@challenger', weight: 10 },
      ],
      reviewThreshold: 0.5,
      redact: { email: 'hash' },
    });
    const updated = await plumb(
      'endpoint',
      'update',
      'forecast',
      '--shadow',
      'weather@v2',
      '--timeout-ms',
      '800',
    );
    expect(updated.code).toBe(0);
    expect(updated.stdout).toContain('route    weather@champion  90.0%');
    expect(updated.stdout).toContain('shadow   weather@v2');
    expect(updated.stdout).toContain('timeout 800 ms');
    expect((await plumb('endpoint', 'show', 'forecast')).stdout).toContain('review below 0.5');
    expect((await plumb('endpoint', 'list')).stdout).toContain('weather@champion=90 weather@challenger=10');
    const bad = await plumb('endpoint', 'create', 'other', '--route', 'weather@v1=-3');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('the weight after "=" must be a positive number');
    expect((await plumb('endpoint', 'delete', 'forecast')).stdout).toBe('deleted forecast\n');
  });

  it('predict one row from --input and many from --file, and list the review queue', async () => {
    await plumb('endpoint', 'create', 'daily', '--route', 'weather@v1', '--review-threshold', '1');
    const one = await plumb('predict', 'daily', '--input', JSON.stringify(rowInput(3)), '--json');
    expect(one.stderr).toBe('');
    const [p] = JSON.parse(one.stdout).predictions;
    expect(p).toMatchObject({ modelVersion: 'weather@v1', label: MODELS.baseline.predict(rowFeatures(3)) });
    const file = join(cli.work, 'rows.jsonl');
    writeFileSync(file, `${[4, 5, 6].map((i) => JSON.stringify(rowInput(i))).join('\n')}\n`);
    const many = await plumb('predict', 'daily', '--file', file, '--json');
    expect(JSON.parse(many.stdout).predictions.map((x: { label: string }) => x.label)).toEqual(
      [4, 5, 6].map((i) => MODELS.baseline.predict(rowFeatures(i))),
    );
    const queue = await plumb('endpoint', 'review-queue', 'daily', '--json');
    expect(JSON.parse(queue.stdout)).toHaveLength(4);
    const neither = await plumb('predict', 'daily');
    expect(neither.stderr).toContain('give exactly one of --input and --file');
  });

  it('predict at a given time logs the prediction at that time', async () => {
    const time = '2001-03-04T05:06:07.000Z';
    const res = await plumb(
      'predict',
      'daily',
      '--input',
      JSON.stringify(rowInput(7)),
      '--time',
      time,
      '--json',
    );
    expect(res.stderr).toBe('');
    const [p] = JSON.parse(res.stdout).predictions;
    const events = await cli.t.call(
      'GET',
      `/api/v1/events?endpoint=daily&from=2001-03-04T00:00:00Z&to=2001-03-05T00:00:00Z`,
    );
    expect(events.statusCode, events.body).toBe(200);
    expect(events.json().items.map((e: { id: string; time: string }) => [e.id, e.time])).toEqual([
      [p.predictionId, time],
    ]);
    const bad = await plumb('predict', 'daily', '--input', JSON.stringify(rowInput(7)), '--time', 'soon');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('time');
  });
});
