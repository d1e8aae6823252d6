import type { Selectable } from 'kysely';
import { PlumbError } from '../../core/errors.js';
import type { Job, JobStatus } from './job-queue.js';
import type { JobsTable } from './jobs.tables.js';

export type JobRow = Selectable<JobsTable>;

export const DEFAULT_MAX_ATTEMPTS = 5;
const MAX_ERROR_CHARS = 8000;

export function toJob<P = unknown>(row: JobRow): Job<P> {
  return {
    id: row.id,
    queue: row.queue,
    payload: JSON.parse(row.payload) as P,
    status: row.status as JobStatus,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: new Date(row.run_at),
    leaseUntil: row.lease_until === null ? null : new Date(row.lease_until),
    workerId: row.worker_id,
    lastError: row.last_error,
    result: row.result === null ? null : JSON.parse(row.result),
    progress: row.progress === null ? null : JSON.parse(row.progress),
    dedupeKey: row.dedupe_key,
    scheduleName: row.schedule_name,
    scheduledFor: row.scheduled_for === null ? null : new Date(row.scheduled_for),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toJson(value: unknown, what: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new PlumbError('invalid_argument', `the job ${what} is not JSON-serializable`, { cause: e });
  }
  return text ?? 'null';
}

/** The stack when there is one: dead jobs are read by operators long after the fact. */
export function errorText(error: unknown): string {
  let text: string;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const head = `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
    const frames = error.stack?.split('\n').filter((line) => /^\s+at /.test(line)) ?? [];
    text = [head, ...frames].join('\n');
  } else {
    text = typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  }
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

export function checkName(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) {
    throw new PlumbError('invalid_argument', `${what} must be a non-empty string of at most 200 characters`);
  }
}

export function checkMaxAttempts(maxAttempts: number): void {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new PlumbError('invalid_argument', 'maxAttempts must be a positive integer', {
      details: { maxAttempts },
    });
  }
}

export function checkDuration(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new PlumbError('invalid_argument', `${what} must be a positive integer number of milliseconds`);
  }
}
