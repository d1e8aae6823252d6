import { describe, expect, it } from 'vitest';
import type { CommittedEvent } from '../events/events.service.js';
import { FeatureWindow } from './feature-window.js';
import { ProfileWriter } from './profile-writer.js';
import type { ProfileRow, ProfilesRepo } from './profiles.repo.js';

const T0 = Date.UTC(2026, 0, 1);

function event(endpoint: string, time: number, inputs: Record<string, unknown>): CommittedEvent {
  return {
    row: {
      id: `prd_${endpoint}_${time}_${Math.random()}`,
      project_id: 'prj_1',
      time,
      received_at: time,
      endpoint,
      model_version: 'm@v1',
      model_version_id: null,
      arm: 'primary',
      inputs: JSON.stringify(inputs),
      outputs: 'null',
      label: null,
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

/** Keeps parts as the table does (one row per key, replaced on rewrite); `failOn` fails that upsert call. */
function memoryRepo(failOn = -1) {
  const parts = new Map<string, ProfileRow>();
  const calls: number[] = [];
  const repo = {
    async upsert(rows: ProfileRow[]) {
      calls.push(rows.length);
      if (calls.length - 1 === failOn) throw new Error('disk full');
      for (const r of rows)
        parts.set(`${r.endpoint}\u0000${r.window_start}\u0000${r.feature}\u0000${r.part}`, r);
    },
  };
  return { repo: repo as unknown as ProfilesRepo, parts, calls };
}

/** 20 endpoints × 30 features × 400 events: 600 parts, far more than one step. */
function busyTraffic(writer: ProfileWriter) {
  for (let e = 0; e < 20; e++) {
    const events: CommittedEvent[] = [];
    for (let i = 0; i < 400; i++) {
      const inputs: Record<string, unknown> = {};
      for (let f = 0; f < 30; f++) inputs[`f${f}`] = Math.sin(i * (f + 1) + e) * 1e4;
      events.push(event(`e${e}`, T0 + (i % 60) * 1000, inputs));
    }
    writer.ingest(events);
  }
}

describe('profile writer flush', () => {
  it('writes many windows in steps and lets the event loop run between them', async () => {
    const { repo, parts, calls } = memoryRepo();
    const writer = new ProfileWriter(repo, { flushMs: 60_000, now: () => T0 + 1000, onError: () => {} });
    busyTraffic(writer);
    let turns = 0;
    let counting = true;
    const count = () => {
      if (!counting) return;
      turns++;
      setImmediate(count);
    };
    setImmediate(count);
    await writer.flush();
    counting = false;
    // 20 endpoints × 30 inputs: every part written once.
    expect(parts.size).toBe(20 * 30);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(20 * 30);
    expect(calls.length).toBeGreaterThan(1);
    expect(Math.max(...calls)).toBeLessThanOrEqual(64);
    // Requests' callbacks ran between the steps, not after one long block.
    expect(turns).toBeGreaterThanOrEqual(calls.length - 1);
    const part = [...parts.values()].find((r) => r.endpoint === 'e7' && r.feature === 'f3')!;
    expect(part.events).toBe(400);
    expect(part.window_start).toBe(T0);
    expect(FeatureWindow.deserialize(part.profile, new Map()).profile.count).toBe(400);
    // Nothing changed since: a second flush writes nothing.
    await writer.flush();
    expect(calls.reduce((a, b) => a + b, 0)).toBe(20 * 30);
  });

  it('a failed step leaves its windows and those after it for the next flush', async () => {
    const { repo, parts, calls } = memoryRepo(1);
    const writer = new ProfileWriter(repo, { flushMs: 60_000, now: () => T0 + 1000, onError: () => {} });
    busyTraffic(writer);
    await expect(writer.flush()).rejects.toThrow('disk full');
    const afterFailure = parts.size;
    expect(afterFailure).toBe(calls[0]);
    expect(afterFailure).toBeLessThan(20 * 30);
    await writer.flush();
    expect(parts.size).toBe(20 * 30);
    // The first step's parts are not written again; the rest are.
    expect(calls.slice(2).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(20 * 30 - afterFailure + 64);
  });

  it('events ingested while a flush yields are written by the next one', async () => {
    const { repo, parts } = memoryRepo();
    const writer = new ProfileWriter(repo, { flushMs: 60_000, now: () => T0 + 1000, onError: () => {} });
    busyTraffic(writer);
    const flushing = writer.flush();
    await new Promise((resolve) => setImmediate(resolve));
    writer.ingest([event('e0', T0 + 5, { f0: 1 })]);
    await flushing;
    await writer.flush();
    const part = [...parts.values()].find((r) => r.endpoint === 'e0' && r.feature === 'f0')!;
    expect(part.events).toBe(401);
  });
});
