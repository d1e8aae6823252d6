import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Where each setting comes from; used to name the variable in error messages. */
const ENV_NAMES = {
  home: 'PLUMB_HOME',
  databaseUrl: 'PLUMB_DATABASE_URL',
  blobUrl: 'PLUMB_BLOB_URL',
  port: 'PLUMB_PORT',
  host: 'PLUMB_HOST',
  adminKey: 'PLUMB_ADMIN_KEY',
  logLevel: 'PLUMB_LOG_LEVEL',
  bodyLimitBytes: 'PLUMB_BODY_LIMIT_BYTES',
  workerConcurrency: 'PLUMB_WORKER_CONCURRENCY',
  projectQuotaBytes: 'PLUMB_PROJECT_QUOTA_BYTES',
  httpIdleTimeoutMs: 'PLUMB_HTTP_IDLE_TIMEOUT_MS',
  httpRequestTimeoutMs: 'PLUMB_HTTP_REQUEST_TIMEOUT_MS',
  eventRetentionDays: 'PLUMB_EVENT_RETENTION_DAYS',
  eventWriter: 'PLUMB_EVENT_WRITER',
  redactionKey: 'PLUMB_REDACTION_KEY',
  monitoringFlushMs: 'PLUMB_MONITORING_FLUSH_MS',
  databaseSchema: 'PLUMB_DATABASE_SCHEMA',
  jobs: 'PLUMB_JOBS',
  pgBossSchema: 'PLUMB_PGBOSS_SCHEMA',
  workerLeaseMs: 'PLUMB_WORKER_LEASE_MS',
  publicUrl: 'PLUMB_PUBLIC_URL',
} as const;

type Key = keyof typeof ENV_NAMES;

const RawConfig = z.object({
  home: z.string().min(1).default('./.plumb'),
  databaseUrl: z
    .string()
    .refine((v) => /^(postgres|postgresql):\/\//.test(v) || /^(sqlite:|file:)/.test(v) || v === ':memory:', {
      message: 'expected postgres://…, sqlite:PATH or :memory:',
    })
    .optional(),
  blobUrl: z
    .string()
    .refine((v) => v.startsWith('file:'), { message: 'expected file:PATH (s3:// is not available yet)' })
    .optional(),
  port: z.coerce
    .number({ message: 'expected an integer between 0 and 65535' })
    .int('expected an integer between 0 and 65535')
    .min(0, 'expected an integer between 0 and 65535')
    .max(65535, 'expected an integer between 0 and 65535')
    .default(7070),
  host: z.string().min(1).default('127.0.0.1'),
  adminKey: z
    .string()
    .regex(
      /^plumb_[A-Za-z0-9_-]{32,}$/,
      'expected a key of the form plumb_ followed by at least 32 letters, digits, "_" or "-"',
    )
    .optional(),
  logLevel: z.enum(LOG_LEVELS, { message: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  bodyLimitBytes: z.coerce
    .number({ message: 'expected a positive integer number of bytes' })
    .int()
    .min(1024, 'expected at least 1024 bytes')
    .default(1024 * 1024),
  workerConcurrency: z.coerce
    .number({ message: 'expected an integer from 1 to 64' })
    .int()
    .min(1, 'expected an integer from 1 to 64')
    .max(64, 'expected an integer from 1 to 64')
    .default(2),
  projectQuotaBytes: z.coerce
    .number({ message: 'expected a positive integer number of bytes' })
    .int('expected a positive integer number of bytes')
    .min(1, 'expected a positive integer number of bytes')
    .optional(),
  // A socket that sends nothing for this long is closed, so a stalled upload does not hold a
  // connection and its temp file for good.
  httpIdleTimeoutMs: z.coerce
    .number({ message: 'expected an integer number of milliseconds, at least 100' })
    .int('expected an integer number of milliseconds, at least 100')
    .min(100, 'expected an integer number of milliseconds, at least 100')
    .default(30_000),
  // The whole request, body included; an hour lets a 1 GB upload pass on a slow link.
  httpRequestTimeoutMs: z.coerce
    .number({ message: 'expected an integer number of milliseconds, at least 1000' })
    .int('expected an integer number of milliseconds, at least 1000')
    .min(1000, 'expected an integer number of milliseconds, at least 1000')
    .default(3_600_000),
  // Inference events older than this are deleted in the background.
  eventRetentionDays: z.coerce
    .number({ message: 'expected a whole number of days from 1 to 36500' })
    .int('expected a whole number of days from 1 to 36500')
    .min(1, 'expected a whole number of days from 1 to 36500')
    .max(36_500, 'expected a whole number of days from 1 to 36500')
    .default(30),
  // SQLite files: where the inference log's transactions run. `loop`: on the server's event loop
  // (direct statements, the fewest wake-ups a prediction); `thread`: a thread with its own
  // connection, for disks slow enough that a commit's write could block the loop.
  eventWriter: z.enum(['loop', 'thread'], { message: 'expected loop or thread' }).default('loop'),
  // The HMAC key of endpoint fields redacted by hashing; generated under PLUMB_HOME when unset.
  redactionKey: z.string().min(16, 'expected a secret of at least 16 characters').optional(),
  // Open monitoring profiles are written this often: a crash loses at most this much of them.
  monitoringFlushMs: z.coerce
    .number({ message: 'expected an integer number of milliseconds from 100 to 600000' })
    .int('expected an integer number of milliseconds from 100 to 600000')
    .min(100, 'expected an integer number of milliseconds from 100 to 600000')
    .max(600_000, 'expected an integer number of milliseconds from 100 to 600000')
    .default(5_000),
  // The PostgreSQL schema of Plumb's tables, so several installations can share one database.
  databaseSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case PostgreSQL schema name')
    .optional(),
  // `db`: the durable jobs table in the metadata database (SQLite or PostgreSQL). `pg-boss`:
  // pg-boss on the metadata database, for `plumb worker` processes on any number of machines.
  jobs: z.enum(['db', 'pg-boss'], { message: 'expected db or pg-boss' }).default('db'),
  pgBossSchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,50}$/, 'expected a lower-case PostgreSQL schema name')
    .default('pgboss'),
  // A job whose worker stops renewing its lease for this long is taken over by another worker.
  workerLeaseMs: z.coerce
    .number({ message: 'expected an integer number of milliseconds from 1000 to 3600000' })
    .int('expected an integer number of milliseconds from 1000 to 3600000')
    .min(1000, 'expected an integer number of milliseconds from 1000 to 3600000')
    .max(3_600_000, 'expected an integer number of milliseconds from 1000 to 3600000')
    .default(60_000),
  // Where the API is reached, for programs Plumb starts (pipeline command steps get it as
  // PLUMB_URL): a `plumb worker` cannot know where the API process listens.
  publicUrl: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:\/\//.test(v), {
      message: 'expected an http:// or https:// URL',
    })
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
});

export interface Config {
  home: string;
  databaseUrl: string;
  blobUrl: string;
  port: number;
  host: string;
  adminKey: string | undefined;
  logLevel: (typeof LOG_LEVELS)[number];
  bodyLimitBytes: number;
  workerConcurrency: number;
  /** Bytes of blobs each project may own; undefined means unlimited. */
  projectQuotaBytes: number | undefined;
  httpIdleTimeoutMs: number;
  httpRequestTimeoutMs: number;
  /** Days an inference event is kept. */
  eventRetentionDays: number;
  /** SQLite files: inference log transactions on the event loop, or in a thread of their own. */
  eventWriter: 'loop' | 'thread';
  redactionKey: string | undefined;
  /** How often open monitoring profiles are written. */
  monitoringFlushMs: number;
  /** PostgreSQL schema of Plumb's tables; undefined for the connection's default. */
  databaseSchema: string | undefined;
  /** Where jobs are queued: the jobs table, or pg-boss on the same PostgreSQL database. */
  jobs: 'db' | 'pg-boss';
  pgBossSchema: string;
  /** How long a claimed job stays a worker's without a heartbeat. */
  workerLeaseMs: number;
  /** The API's URL for programs Plumb starts; undefined: this process's own address when fixed. */
  publicUrl: string | undefined;
}

export type ConfigOverrides = Partial<Record<Key, string | number | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the configuration once, from the environment with flags taking precedence. Empty
 * variables count as unset. Throws ConfigError naming every bad variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: ConfigOverrides = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const fromFlag = flags[key as Key];
    const value = fromFlag !== undefined ? fromFlag : env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = RawConfig.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0]) as Key;
        const got = raw[key];
        return {
          variable: ENV_NAMES[key] ?? key,
          message: `${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(String(got))})`}`,
        };
      }),
    );
  }
  const c = parsed.data;
  if (c.jobs === 'pg-boss' && !/^postgres(ql)?:\/\//.test(c.databaseUrl ?? '')) {
    throw new ConfigError([
      {
        variable: ENV_NAMES.jobs,
        message: 'pg-boss runs on the metadata database: set PLUMB_DATABASE_URL to postgres://…',
      },
    ]);
  }
  const home = resolve(c.home);
  return {
    ...c,
    home,
    databaseUrl: c.databaseUrl ?? `sqlite:${join(home, 'plumb.db')}`,
    blobUrl: c.blobUrl ?? `file:${join(home, 'blobs')}`,
    adminKey: c.adminKey,
    projectQuotaBytes: c.projectQuotaBytes,
    redactionKey: c.redactionKey,
    databaseSchema: c.databaseSchema,
    publicUrl: c.publicUrl,
  };
}

/** Resolves `file:PATH` or `sqlite:PATH` to an absolute path (relative paths from the cwd). */
export function pathFromUrl(url: string): string {
  const path = url.replace(/^(file|sqlite):(\/\/)?/, '');
  return isAbsolute(path) ? path : resolve(path);
}
