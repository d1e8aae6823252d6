import type { DatasetVersion } from '@plumb/sdk';
import { describe, expect, it } from 'vitest';
import { PlumbError } from '../../core/errors.js';
import { describeProfile, formatDistinct, waitForProfile } from './dataset-profile-wait.js';

function version(over: Partial<DatasetVersion>): DatasetVersion {
  return {
    ref: 'flights@v1',
    rowCount: 3_000_000,
    profileStatus: 'pending',
    profileError: null,
    profileJob: { id: 'job_1', state: 'queued', progress: { rows: 0, total: 3_000_000 } },
    ...over,
  } as DatasetVersion;
}

const running = (rows: number) =>
  version({ profileJob: { id: 'job_1', state: 'running', progress: { rows, total: 3_000_000 } } });

/** A server that answers the given versions in turn. */
function server(answers: DatasetVersion[]) {
  const asked: string[] = [];
  return {
    asked,
    fetch: async (ref: string) => {
      asked.push(ref);
      const next = answers.shift();
      if (!next) throw new Error('asked once too often');
      return next;
    },
  };
}

const noSleep = async () => {};

describe('waiting for a profile', () => {
  it('asks until the profile is ready and returns that version', async () => {
    const ready = version({ profileStatus: 'ready', profileJob: null });
    const s = server([running(1_000_000), running(2_500_000), ready]);
    expect(await waitForProfile(s.fetch, version({}), { tty: false, sleep: noSleep })).toBe(ready);
    expect(s.asked).toEqual(['flights@v1', 'flights@v1', 'flights@v1']);
  });

  it("draws the job's state and rows on a terminal, and nothing when piped", async () => {
    const ready = version({ profileStatus: 'ready', profileJob: null });
    let text = '';
    let clock = 0;
    const terminal = { stream: { write: (t: string) => (text += t) }, now: () => (clock += 1000) };
    await waitForProfile(server([running(1_500_000), ready]).fetch, version({}), {
      tty: true,
      sleep: noSleep,
      terminal,
    });
    const frames = text.split('\r').filter(Boolean);
    expect(frames).toEqual([
      'profiling flights@v1 (queued) [........................]   0% 0/3,000,000 rows ',
      'profiling flights@v1 (running) [############............]  50% 1,500,000/3,000,000 rows ',
      'profiled flights@v1 [########################] 100% 3,000,000/3,000,000 rows \n',
    ]);

    text = '';
    await waitForProfile(server([running(1_500_000), ready]).fetch, version({}), {
      tty: false,
      sleep: noSleep,
      terminal,
    });
    expect(text).toBe('');
  });

  it('returns at once when there is nothing to wait for', async () => {
    const ready = version({ profileStatus: 'ready', profileJob: null });
    const s = server([]);
    expect(await waitForProfile(s.fetch, ready, { tty: false, sleep: noSleep })).toBe(ready);
  });

  it('fails with the reason when profiling fails, or when the job ended without a profile', async () => {
    const failed = version({ profileStatus: 'failed', profileError: 'flights.parquet: bad footer' });
    const error = await waitForProfile(server([failed]).fetch, version({}), {
      tty: false,
      sleep: noSleep,
    }).catch((e) => e);
    expect(PlumbError.is(error, 'failed_precondition')).toBe(true);
    expect(error.message).toBe('flights@v1: profiling failed: flights.parquet: bad footer');

    const cancelled = version({
      profileJob: { id: 'job_1', state: 'cancelled', progress: { rows: 5, total: 9 } },
    });
    await expect(
      waitForProfile(server([cancelled]).fetch, version({}), { tty: false, sleep: noSleep }),
    ).rejects.toThrow(/its profile job job_1 is cancelled without a profile/);
  });
});

describe('showing a profile', () => {
  it("says the job's state and the rows done of the total", () => {
    expect(describeProfile(running(1_200_000))).toBe(
      'profile pending (job job_1 running, 1,200,000 of 3,000,000 rows)',
    );
    expect(describeProfile(version({ profileStatus: 'ready', profileJob: null }))).toBe('profile ready');
  });

  it('marks estimated distinct counts with their error, and shows exact ones as they are', () => {
    expect(formatDistinct({ distinct: 1461, distinctExact: true, distinctRelativeError: 0 })).toBe('1461');
    expect(formatDistinct({ distinct: 1458, distinctExact: false, distinctRelativeError: 1.04 / 128 })).toBe(
      '≈1458 (±0.81%)',
    );
    // From a server that did not say.
    expect(formatDistinct({ distinct: 1458 })).toBe('≈1458 (±0.81%)');
    expect(formatDistinct({})).toBeUndefined();
  });
});
