import type { Clock } from '../../core/clock.js';
import type { Config } from '../../core/config.js';
import type { Db } from '../database.js';
import { DbJobQueue } from './db-job-queue.js';
import type { JobQueue } from './job-queue.js';
import { PgBossJobQueue } from './pg-boss-job-queue.js';

export interface OpenedJobQueue {
  queue: JobQueue;
  /** Stops what the queue runs in the background (pg-boss's maintenance); the database stays open. */
  close(): Promise<void>;
}

/** The job queue the configuration names, on the metadata database. */
export async function openJobQueue(
  config: Pick<Config, 'jobs' | 'pgBossSchema'>,
  db: Db,
  clock: Clock,
): Promise<OpenedJobQueue> {
  if (config.jobs === 'pg-boss') {
    const queue = await PgBossJobQueue.open(db, { schema: config.pgBossSchema, clock });
    return { queue, close: () => queue.close() };
  }
  return { queue: new DbJobQueue(db, { clock }), close: async () => {} };
}
