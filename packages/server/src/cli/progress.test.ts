import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from './progress.js';

function recorder() {
  const writes: string[] = [];
  return { writes, stream: { write: (text: string) => writes.push(text) } };
}

describe('the CLI progress reporter', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('writes nothing when the caller says stderr is not a terminal', () => {
    const { writes, stream } = recorder();
    const p = createProgress({ tty: false, label: 'uploading', unit: 'bytes', stream });
    p.update(10, 100);
    p.finish('done');
    expect(writes).toEqual([]);
  });

  it('draws bytes with sizes, redraws at most every 100 ms until the end, and ends the line', () => {
    const { writes, stream } = recorder();
    let now = 0;
    const p = createProgress({ tty: true, label: 'uploading 1 file', unit: 'bytes', stream, now: () => now });
    now = 1000;
    p.update(512, 2048);
    now = 1050;
    p.update(1024, 2048); // too soon: skipped
    now = 1060;
    p.update(2048, 2048); // the end always draws
    p.finish('checking every row');
    expect(writes).toEqual([
      `\ruploading 1 file [${'#'.repeat(6)}${'.'.repeat(18)}]  25% 512 B/2.0 KB 512 B/s `,
      `\ruploading 1 file [${'#'.repeat(24)}] 100% 2.0 KB/2.0 KB 1.9 KB/s `,
      '\nchecking every row\n',
    ]);
  });

  it('draws rows with a label that follows the work, whatever the environment says', () => {
    // The caller decides; the reporter reads no environment (CI is the caller's business).
    vi.stubEnv('CI', 'true');
    const { writes, stream } = recorder();
    let now = 0;
    const p = createProgress({ tty: true, label: 'queued', unit: 'rows', stream, now: () => now });
    p.update(0, 0);
    now = 500;
    p.update(1500, 3000, 'running');
    p.finish();
    expect(writes).toEqual([
      `\rqueued [${'.'.repeat(24)}]   0% 0/0 rows `,
      `\rrunning [${'#'.repeat(12)}${'.'.repeat(12)}]  50% 1,500/3,000 rows `,
      '\n',
    ]);
  });
});
