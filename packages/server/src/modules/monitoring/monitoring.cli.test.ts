import type { MonitorStatus } from '@plumb/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTime } from '../../cli/format-time.js';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';
import {
  accuracyOf,
  HOLDOUT,
  HOUR,
  jensenShannonDistance,
  MONITORED,
  seasonWorld,
  sendTraffic,
  shares,
  TRAINING,
  type TrafficEvent,
  traffic,
  UNSEEN,
} from './monitoring.test-kit.js';

const sig = (x: number) => String(Number(x.toPrecision(4)));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A table line starting with these cells, separated by the table's spaces. */
const row = (...cells: (string | number)[]) =>
  new RegExp(`^${cells.map((c) => esc(String(c))).join('\\s+')}(\\s|$)`, 'm');
/** A table line of exactly these cells. */
const line = (...cells: (string | number)[]) =>
  new RegExp(`^${cells.map((c) => esc(String(c))).join('\\s+')}$`, 'm');

// `plumb monitor …` as a user runs it: the built CLI against a listening server.
describe('plumb monitor', () => {
  let f: CliFixture;
  let id: string;
  let events: TrafficEvent[];
  const start = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
  const from = new Date(start).toISOString();
  const to = new Date(start + 3 * HOUR).toISOString();

  beforeAll(async () => {
    f = await startCliFixture();
    await seasonWorld(f.t);
  });
  afterAll(() => f?.dispose());

  it('creates, lists and shows a monitor', async () => {
    const created = await f.plumb([
      'monitor',
      'create',
      'weather',
      '--features',
      MONITORED.join(','),
      '--window',
      '1h',
      '--test',
      'wind=psi',
      '--threshold',
      'wind=0.2',
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    id = /^monitor (mon_\S+) on weather against weather@v1$/m.exec(created.stdout)![1]!;
    expect(created.stdout).toMatch(row('temp_max', 'numeric', 'wasserstein', 0.1, TRAINING.length));
    expect(created.stdout).toMatch(row('wind', 'numeric', 'psi', 0.2, TRAINING.length));
    expect(created.stdout).toMatch(row('season', 'categorical', 'jensenshannon', 0.1, TRAINING.length, 4));

    const list = await f.plumb(['monitor', 'list', '--endpoint', 'weather']);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+weather\\s+weather@v1\\s+1h\\s+5\\s`, 'm'));
    const show = await f.plumb(['monitor', 'show', id]);
    expect(show.stdout).toMatch(new RegExp(`^monitor ${id} on weather against weather@v1, 1h windows$`, 'm'));
    expect(show.stdout).toMatch(row('wind', 'numeric', 'psi', 0.2, 'false', TRAINING.length));
    expect(show.stdout).toMatch(
      row('season', 'categorical', 'jensenshannon', 0.1, 'true', TRAINING.length, 4),
    );

    const bad = await f.plumb(['monitor', 'create', 'weather', '--test', 'wind']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--test takes FEATURE=VALUE, got "wind"/);
  });

  it('prints drift of a range from the profiles, with the exact statistic of a categorical feature', async () => {
    events = traffic(start);
    await sendTraffic(f.t, events);
    const drift = await f.plumb(['monitor', 'drift', id, '--from', from, '--to', to]);
    expect(drift.stderr).toBe('');
    expect(drift.stdout).toMatch(new RegExp(`^monitor ${id}  weather against weather@v1$`, 'm'));
    expect(drift.stdout).toContain(`${formatTime(from)} – ${formatTime(to)}`);
    // The season's counts: the reference's four seasons, the traffic's summer and unseen "other".
    const ref = ['autumn', 'spring', 'summer', 'winter'].map(
      (s) => TRAINING.filter((r) => r.season === s).length,
    );
    const unseen = events.filter((e) => e.inputs.season === UNSEEN).length;
    const cur = [0, 0, events.length - unseen, 0, unseen];
    const js = sig(jensenShannonDistance([...ref, 0], cur));
    expect(drift.stdout).toMatch(row('season', 'jensenshannon', js, 0.1, 'drift', js, js, events.length));
    expect(drift.stdout).toMatch(/^temp_max\s+wasserstein\s+\S+\s+0\.1\s+drift\s/m);
    expect(drift.stdout).toMatch(/^dataset: DRIFT \(\d+% of features drifted\)$/m);

    const backwards = await f.plumb(['monitor', 'drift', id, '--from', to, '--to', from]);
    expect(backwards.code).toBe(1);
    expect(backwards.stderr).toMatch(/must be after from/);
  });

  it('prints the status: verdicts, skew, the performance trend and open alerts', async () => {
    const rule = await f.t.call('POST', '/api/v1/alert-rules', {
      body: { name: 'slow', endpoint: 'weather', metric: 'latency_p99_ms', threshold: 250 },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    await f.t.call('POST', '/api/v1/alerts/evaluate');

    const status = await f.plumb(['monitor', 'status', 'weather', '--from', from, '--to', to]);
    expect(status.stderr).toBe('');
    const out = status.stdout;
    expect(out).toMatch(/^season\s+jensenshannon\s+\S+\s+0\.1\s+drift\s/m);
    expect(out).toMatch(/^training–serving skew:\n {2}weather@v1 from .*: skew in .*season/m);
    const json: MonitorStatus = JSON.parse(
      (await f.plumb(['--json', 'monitor', 'status', 'weather', '--from', from, '--to', to])).stdout,
    );
    expect(out).toContain(`performance per 1h window (positive class ${json.performance.positiveClass}):`);
    for (const hour of [0, 1, 2]) {
      const n = events.filter((e) => e.hour === hour).length;
      const w = json.performance.series[hour]!;
      expect(Date.parse(w.windowStart)).toBe(start + hour * HOUR);
      const accuracy = hour === 2 ? '-' : accuracyOf(events, hour).toFixed(3);
      const estimate = w.estimated!.accuracy!.toFixed(3);
      expect(out).toMatch(
        new RegExp(
          `^${esc(formatTime(w.windowStart))}\\s+weather@v1\\s+${n}\\s+${hour === 2 ? 0 : n}\\s+${esc(accuracy)}\\s+${estimate}\\s`,
          'm',
        ),
      );
    }
    const alert = json.alerts[0]!;
    expect(json.alerts).toHaveLength(1);
    expect(out).toContain('open alerts (1):');
    expect(out).toMatch(
      new RegExp(`^${alert.id}\\s+slow\\s+${esc(alert.subject ?? '-')}\\s+open\\s+480\\s+250\\s`, 'm'),
    );
  });

  it('prints coverage against the training and the evaluation data, flagging what training never saw', async () => {
    const coverage = await f.plumb(['monitor', 'coverage', 'weather', '--slice-field', 'season']);
    expect(coverage.stderr).toBe('');
    expect(coverage.stdout).toMatch(
      new RegExp(
        `^season on weather: ${events.length} production values; training weather@v1; evaluation weather-holdout@v1$`,
        'm',
      ),
    );
    const production = shares(events, (e) => String(e.inputs.season));
    const training = shares(TRAINING, (r) => r.season);
    const evaluation = shares(HOLDOUT, (r) => r.season);
    const lines = ['summer', UNSEEN, 'winter', 'spring', 'autumn'].map((v) => {
      const p = production.get(v) ?? 0;
      const t = training.get(v) ?? 0;
      const e = evaluation.get(v) ?? 0;
      return { v, gap: p - t, cells: [v, sig(p), sig(t), sig(e), sig(p - t), sig(p - e)] };
    });
    lines.sort((a, b) => Math.abs(b.gap) - Math.abs(a.gap));
    const body = coverage.stdout.split('\n').slice(2, 7);
    lines.forEach((l, i) => {
      expect(body[i]).toMatch(l.v === UNSEEN ? line(...l.cells, 'NEVER IN TRAINING') : line(...l.cells));
    });

    const missing = await f.plumb(['monitor', 'coverage', 'weather']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--slice-field/);
  });

  it('deletes the monitor', async () => {
    const deleted = await f.plumb(['monitor', 'delete', id]);
    expect(deleted.stdout).toBe(`deleted monitor ${id}\n`);
    expect((await f.plumb(['monitor', 'list'])).stdout).toBe('(none)\n');
    const gone = await f.plumb(['monitor', 'show', id]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(new RegExp(`monitor ${id} does not exist`));
    const status = await f.plumb(['monitor', 'status', 'weather', '--from', from, '--to', to]);
    expect(status.stdout).toMatch(/^endpoint weather has no monitors\nperformance per 1h window/);
  });
});
