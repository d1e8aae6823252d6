import type { DatasetVersion } from '@plumb/sdk';
import { createProgress, type ProgressOptions } from '../../cli/progress.js';
import { PlumbError } from '../../core/errors.js';

/** How often `--wait` asks for the version again; the job reports progress about once a second. */
const POLL_MS = 500;

/** Job states after which a pending profile will not become ready without someone retrying it. */
const ENDED = new Set(['dead', 'cancelled', 'failed', 'unknown']);

/**
 * Asks for the version until its profile is ready, drawing the profile job's rows on a terminal.
 * A profile that fails, or whose job ended without one, is a `failed_precondition` naming it.
 */
export async function waitForProfile(
  fetch: (ref: string) => Promise<DatasetVersion>,
  version: DatasetVersion,
  options: {
    tty: boolean;
    sleep?: (ms: number) => Promise<void>;
    /** Where the bar is drawn, and its clock (stderr and Date.now by default). */
    terminal?: Pick<ProgressOptions, 'stream' | 'now'>;
  },
): Promise<DatasetVersion> {
  const sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const bar = createProgress({
    tty: options.tty,
    label: `profiling ${version.ref}`,
    unit: 'rows',
    ...options.terminal,
  });
  let v = version;
  while (v.profileStatus === 'pending') {
    const job = v.profileJob;
    if (job && ENDED.has(job.state)) {
      bar.finish();
      throw new PlumbError(
        'failed_precondition',
        `${v.ref}: its profile job ${job.id} is ${job.state} without a profile; run plumb dataset show ${v.ref} for details`,
      );
    }
    bar.update(
      job?.progress.rows ?? 0,
      job?.progress.total ?? v.rowCount,
      `profiling ${v.ref} (${job?.state ?? 'queued'})`,
    );
    await sleep(POLL_MS);
    v = await fetch(v.ref);
  }
  if (v.profileStatus === 'ready') bar.update(v.rowCount, v.rowCount, `profiled ${v.ref}`);
  bar.finish();
  if (v.profileStatus === 'failed') {
    throw new PlumbError(
      'failed_precondition',
      `${v.ref}: profiling failed: ${v.profileError ?? 'no reason given'}`,
    );
  }
  return v;
}

/** `profile pending (job job_… running, 1,200,000 of 3,000,000 rows)`, or just the status. */
export function describeProfile(v: DatasetVersion): string {
  const job = v.profileJob;
  const reason = v.profileError ? ` (${v.profileError})` : '';
  if (!job) return `profile ${v.profileStatus}${reason}`;
  const { rows, total } = job.progress;
  return `profile ${v.profileStatus}${reason} (job ${job.id} ${job.state}, ${rows.toLocaleString('en')} of ${total.toLocaleString('en')} rows)`;
}

/**
 * A distinct count as people should read it: exact counts as they are, estimates as
 * `≈1,458 (±0.81%)`. Summaries of older servers carry no flag and are estimates.
 */
export function formatDistinct(summary: Record<string, unknown>): string | undefined {
  if (typeof summary.distinct !== 'number') return undefined;
  if (summary.distinctExact === true) return String(summary.distinct);
  const error =
    typeof summary.distinctRelativeError === 'number' ? summary.distinctRelativeError : 1.04 / 128;
  return `≈${summary.distinct} (±${Number((error * 100).toPrecision(2))}%)`;
}
