import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { PlumbError } from '../../core/errors.js';
import { mapDriverError } from '../../storage/db-errors.js';
import { EVENT_COLUMNS, type EventRow, SQLITE_ROWS_PER_INSERT, sqliteParams } from './events.repo.js';

// CommonJS, as eval'd workers are. The thread owns a write connection to the database file and
// appends each batch it is sent in one transaction, then acknowledges it. It never checkpoints
// (the WAL checkpointer does, off both threads), and waits for the server's own writes as any
// second connection does (busy timeout).
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.pragma('wal_autocheckpoint = 0');
const columns = workerData.columns;
const rowText = '(' + columns.map(() => '?').join(', ') + ')';
const head = 'insert into inference_events (' + columns.map((c) => '"' + c + '"').join(', ') + ') values ';
const statements = new Map();
const statement = (rows) => {
  let s = statements.get(rows);
  if (!s) {
    s = db.prepare(head + Array(rows).fill(rowText).join(', '));
    if (statements.size < 64) statements.set(rows, s);
  }
  return s;
};
const width = columns.length;
const perInsert = workerData.rowsPerInsert;
const append = db.transaction((rows, params) => {
  for (let i = 0; i < rows; i += perInsert) {
    const n = Math.min(perInsert, rows - i);
    statement(n).run(params.slice(i * width, (i + n) * width));
  }
});
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    process.exit(0);
  }
  try {
    append(message.rows, message.params);
    parentPort.postMessage({ id: message.id });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: { message: String(error && error.message), code: error && error.code } });
  }
});
`;

interface Waiting {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Appends inference events to an SQLite file from a thread of its own, so inserting and
 * committing a batch (a WAL append of every row, and on a busy disk a `write` that blocks) never
 * runs on the event loop that answers requests. A write resolves once the thread's transaction
 * has committed, so a caller that acknowledges after it never loses an acknowledged event; a
 * failed transaction rejects with the driver's error mapped as the adapter maps it (a duplicate
 * id is `already_exists`). Should the thread die, waiting writes reject (`unavailable`: whether
 * their transaction committed is unknown) and `usable` turns false, so the caller writes on its
 * own connection again.
 */
export class EventWriterThread {
  private readonly thread: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 0;
  private alive = true;
  private readonly exited: Promise<void>;

  constructor(path: string) {
    this.thread = new Worker(THREAD, {
      eval: true,
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        path,
        columns: EVENT_COLUMNS,
        rowsPerInsert: SQLITE_ROWS_PER_INSERT,
      },
    });
    // Requests in flight keep the process up; an idle writer must not.
    this.thread.unref();
    this.thread.on('message', (message: { id: number; error?: { message: string; code?: string } }) => {
      const waiter = this.waiting.get(message.id);
      if (!waiter) return;
      this.waiting.delete(message.id);
      if (this.waiting.size === 0) this.thread.unref();
      if (!message.error) waiter.resolve();
      else waiter.reject(mapDriverError(Object.assign(new Error(message.error.message), message.error)));
    });
    this.exited = new Promise<void>((resolve) => {
      const gone = (error?: unknown) => {
        this.alive = false;
        const failure = new PlumbError('unavailable', 'the inference log writer thread stopped', {
          ...(error === undefined ? {} : { cause: error }),
        });
        for (const waiter of this.waiting.values()) waiter.reject(failure);
        this.waiting.clear();
        resolve();
      };
      this.thread.on('error', gone);
      this.thread.on('exit', () => gone());
    });
  }

  /** False once the thread has stopped. */
  get usable(): boolean {
    return this.alive;
  }

  /** Appends the rows in one transaction; resolves once it has committed. */
  write(rows: EventRow[]): Promise<void> {
    if (!this.alive)
      return Promise.reject(new PlumbError('unavailable', 'the inference log writer thread stopped'));
    // One flat array of primitives: the cheapest shape to copy to the thread.
    const params = sqliteParams(rows);
    const id = ++this.nextId;
    return new Promise<void>((resolve, reject) => {
      if (this.waiting.size === 0) this.thread.ref();
      this.waiting.set(id, { resolve, reject });
      this.thread.postMessage({ id, rows: rows.length, params });
    });
  }

  /** Stops the thread after what it was sent has committed; its connection is closed first. */
  async close(): Promise<void> {
    if (!this.alive) return;
    this.thread.ref();
    // Messages are handled in order: everything sent before 'close' is written before it.
    this.thread.postMessage('close');
    const timeout = setTimeout(() => void this.thread.terminate(), 5000);
    await this.exited;
    clearTimeout(timeout);
  }
}
