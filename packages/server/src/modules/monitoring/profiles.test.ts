import { ColumnProfile } from '@plumb/stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, describeEachBackend, type TestDatabase } from '../../testing/test-database.js';
import type { CommittedEvent } from '../events/events.service.js';
import { BinIndex, FeatureWindow, MAX_WINDOW_PROFILE_BYTES } from './feature-window.js';
import { DAY_MS, ProfileStore } from './profile-store.js';
import { BASE_WINDOW_MS, ProfileWriter } from './profile-writer.js';
import { ProfilesRepo } from './profiles.repo.js';

const HOUR = BASE_WINDOW_MS;
const T0 = Date.UTC(2026, 0, 1);

function event(time: number, inputs: Record<string, unknown>, label: string | null = null): CommittedEvent {
  return {
    row: {
      id: `prd_${time}_${Math.random()}`,
      project_id: 'prj_1',
      time,
      received_at: time,
      endpoint: 'e',
      model_version: 'm@v1',
      model_version_id: null,
      arm: 'primary',
      inputs: JSON.stringify(inputs),
      outputs: 'null',
      label,
      score: null,
      confidence: null,
      latency_ms: null,
      prompt_tokens: null,
      completion_tokens: null,
      cost_usd: null,
      tags: '{}',
      trace_id: null,
      error: null,
    },
    inputs,
    outputs: null,
  };
}

describe('window profiles', () => {
  it('stay within 16 KB per feature and window however much traffic they hold', () => {
    const index = new BinIndex({ id: 'mon_a:x', kind: 'edges', edges: [1, 2, 3, 4, 5, 6, 7, 8, 9] });
    const numeric = new FeatureWindow();
    const text = new FeatureWindow();
    const mixed = new FeatureWindow();
    numeric.track(index);
    for (let i = 0; i < 100_000; i++) {
      numeric.update(Math.sin(i) * 1e6);
      text.update(`customer-${i}-${'x'.repeat(i % 200)}`);
      mixed.update(i % 2 ? i : `v${i % 5_000}`);
    }
    for (const w of [numeric, text, mixed])
      expect(w.serialize().length).toBeLessThanOrEqual(MAX_WINDOW_PROFILE_BYTES);
  });

  it('round-trip with their bins and sample, and merge as one pass would count', () => {
    const index = new BinIndex({ id: 'mon_a:x', kind: 'categories', values: ['a', 'b'] });
    const parts = [new FeatureWindow(), new FeatureWindow()];
    const whole = new FeatureWindow();
    for (const w of [...parts, whole]) w.track(index);
    const values = Array.from({ length: 1000 }, (_, i) => ['a', 'b', 'c', null][i % 4]);
    values.forEach((v, i) => {
      parts[i % 2]!.update(v);
      whole.update(v);
    });
    const specs = new Map([[index.spec.id, index]]);
    const merged = FeatureWindow.deserialize(parts[0]!.serialize(), specs).merge(
      FeatureWindow.deserialize(parts[1]!.serialize(), specs),
    );
    expect(merged.countsFor('mon_a:x')).toEqual([250, 250, 250]);
    expect(merged.countsFor('mon_a:x')).toEqual(whole.countsFor('mon_a:x'));
    expect(merged.profile.nulls).toBe(250);
    expect(merged.sample).toHaveLength(64);
    expect(merged.seen).toBe(750);
    // A window written before the bins existed has no counts of them, and neither has a merge with it.
    const before = new FeatureWindow();
    before.update('a');
    expect(merged.merge(before).countsFor('mon_a:x')).toBeNull();
    // Bins of a monitor that no longer exists are dropped on read.
    expect(FeatureWindow.deserialize(parts[0]!.serialize(), new Map()).countsFor('mon_a:x')).toBeNull();
    expect(ColumnProfile.deserialize(parts[0]!.profile.serialize()).count).toBe(500);
  });
});

describeEachBackend('profile writer and store', (backend) => {
  let database: TestDatabase;
  let repo: ProfilesRepo;
  beforeAll(async () => {
    database = await createTestDatabase(backend);
    repo = new ProfilesRepo(database.db);
  });
  afterAll(() => database.dispose());

  it('a restarted writer adds its own parts, so a crash loses only what was never flushed', async () => {
    let now = T0 + 10 * HOUR;
    const first = new ProfileWriter(repo, { flushMs: 60_000, now: () => now, onError: () => {} });
    first.ingest(
      Array.from({ length: 100 }, (_, i) => event(T0 + (i % 5) * HOUR, { x: i, c: `k${i % 3}` }, 'yes')),
    );
    await first.flush();
    // Events after the last flush die with the process.
    first.ingest([event(T0, { x: 1 })]);
    const second = new ProfileWriter(repo, { flushMs: 60_000, now: () => now, onError: () => {} });
    second.ingest(Array.from({ length: 50 }, (_, i) => event(T0 + (i % 5) * HOUR, { x: i })));
    await second.close();
    const store = new ProfileStore(repo);
    const key = { projectId: 'prj_1', endpoint: 'e' };
    const { features } = await store.merged(key, { from: T0, to: T0 + DAY_MS }, new Map());
    expect(features.get('x')!.profile.count).toBe(150);
    expect(features.get('c')!.profile.count).toBe(100);
    expect(features.get('output.label')!.profile.count).toBe(100);

    // Roll-ups answer the same counts from one row per day.
    now = T0 + 3 * DAY_MS;
    expect(await store.rollUp(now, () => new Map())).toBeGreaterThanOrEqual(1);
    expect(await store.plan(key, T0, T0 + DAY_MS)).toEqual([[DAY_MS, T0, T0 + DAY_MS]]);
    const rolled = await store.merged(key, { from: T0, to: T0 + DAY_MS }, new Map());
    expect(rolled.windows).toBe(3);
    expect(rolled.features.get('x')!.profile.count).toBe(150);
    expect(rolled.features.get('x')!.profile.mean).toBeCloseTo(features.get('x')!.profile.mean, 12);
    // A second run finds nothing new to roll up.
    expect(await store.rollUp(now, () => new Map())).toBe(0);
  });
});
