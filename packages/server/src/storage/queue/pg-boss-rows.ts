import { CompiledQuery, type Kysely } from 'kysely';
import type { Job, JobStatus } from './job-queue.js';

/** What pg-boss and the adapter's own statements run on: a pool, or the caller's transaction. */
export interface SqlRunner {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

// biome-ignore lint/suspicious/noExplicitAny: any Kysely database or transaction runs raw SQL.
export function sqlRunner(kysely: Kysely<any>): SqlRunner {
  return {
    async executeSql(text, values = []) {
      const result = await kysely.executeQuery(CompiledQuery.raw(text, values));
      return { rows: result.rows as Record<string, unknown>[] };
    },
  };
}

/**
 * What the adapter keeps in pg-boss's `data` column: the payload with what pg-boss has no
 * column for and never changes. The enqueue time is the queue clock's, like every time the
 * adapter writes, so jobs and schedules agree on one clock.
 */
export interface JobData {
  payload: unknown;
  enqueuedAt: number;
  scheduleName?: string;
  scheduledFor?: number;
}

/** What the adapter keeps in pg-boss's `output` column: the worker's side of the job. */
interface JobOutput {
  workerId?: string | null;
  lastError?: string | null;
  progress?: unknown;
  result?: unknown;
  updatedAt?: number;
  /** pg-boss's own maintenance writes `{ value: { message } }` when it expires a job. */
  value?: { message?: string };
}

/** The columns every statement returns, times as integer milliseconds. */
export function jobColumns(alias = ''): string {
  const a = alias ? `${alias}.` : '';
  return `${a}id::text AS id, ${a}name, ${a}data, ${a}state::text AS state, ${a}retry_limit, ${a}retry_count,
    ${a}started_on IS NOT NULL AS started, ${a}singleton_key, ${a}output,
    ceil(extract(epoch FROM ${a}start_after) * 1000)::bigint AS run_at_ms,
    CASE WHEN ${a}state = 'active'
      THEN ceil(extract(epoch FROM ${a}started_on + ${a}expire_in) * 1000)::bigint END AS lease_until_ms`;
}

const STATUS_OF_STATE: Record<string, JobStatus> = {
  created: 'queued',
  retry: 'queued',
  active: 'running',
  completed: 'succeeded',
  cancelled: 'cancelled',
  failed: 'dead',
};

/** pg-boss states of each status, for filters. */
export const STATES_OF_STATUS: Record<JobStatus, string[]> = {
  queued: ['created', 'retry'],
  running: ['active'],
  succeeded: ['completed'],
  cancelled: ['cancelled'],
  dead: ['failed'],
};

export function toJob<P = unknown>(row: Record<string, unknown>): Job<P> {
  const data = (row.data ?? {}) as Partial<JobData>;
  const output = (row.output ?? {}) as JobOutput;
  const state = String(row.state);
  const started = row.started === true;
  const enqueuedAt = typeof data.enqueuedAt === 'number' ? data.enqueuedAt : 0;
  return {
    id: jobIdOf(String(row.id)),
    queue: String(row.name),
    payload: (data.payload ?? null) as P,
    status: STATUS_OF_STATE[state] ?? 'queued',
    // pg-boss counts retries, and only from the second claim on.
    attempts: started ? Number(row.retry_count) + 1 : 0,
    maxAttempts: Number(row.retry_limit) + 1,
    runAt: new Date(Number(row.run_at_ms)),
    leaseUntil: row.lease_until_ms === null ? null : new Date(Number(row.lease_until_ms)),
    workerId: output.workerId ?? null,
    lastError: output.lastError ?? output.value?.message ?? null,
    result: state === 'completed' ? (output.result ?? null) : null,
    progress: output.progress ?? null,
    dedupeKey: (row.singleton_key as string | null) ?? null,
    scheduleName: data.scheduleName ?? null,
    scheduledFor: data.scheduledFor === undefined ? null : new Date(data.scheduledFor),
    createdAt: new Date(enqueuedAt),
    updatedAt: new Date(output.updatedAt ?? enqueuedAt),
  };
}

// Crockford base32, as in core/ids.ts.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const JOB_ID = /^job_[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/**
 * pg-boss ids are UUIDs; Plumb's are prefixed ULIDs. A ULID is 128 bits like a UUID, so each
 * maps to the other exactly and both sort by creation time, which listing by id relies on.
 */
export function uuidOf(jobId: string): string | null {
  if (!JOB_ID.test(jobId)) return null;
  let n = 0n;
  for (const char of jobId.slice(4)) n = (n << 5n) | BigInt(ALPHABET.indexOf(char));
  const hex = n.toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function jobIdOf(uuid: string): string {
  let n = BigInt(`0x${uuid.replaceAll('-', '')}`);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = ALPHABET[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return `job_${out}`;
}
