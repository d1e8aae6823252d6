import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

export interface WalCheckpointerOptions {
  /** The checkpoint thread starts once the WAL file is this large; default 4 MiB. */
  startBytes?: number;
  /** How often the WAL's size is looked at, and how often the thread checkpoints; default 1 s. */
  intervalMs?: number;
}

// CommonJS, as eval'd workers are: it opens its own connection to the file and, whenever another
// connection has committed since its last look (data_version), copies the WAL into the database.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
let seen = -1;
const timer = setInterval(() => {
  try {
    const version = db.pragma('data_version', { simple: true });
    if (version === seen) return;
    seen = version;
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ failed: String(error && error.message) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  process.exit(0);
});
`;

/**
 * SQLite checkpoints its WAL inside whichever commit pushes it past 1,000 pages: that commit
 * copies 4 MB into the database and syncs both files, on the event loop that answers requests,
 * and on a busy disk a prediction waits tens of milliseconds for it. Here the connection never
 * checkpoints by itself; once the WAL has grown, a thread with its own connection checkpoints
 * (passive: writers never wait for it) every `intervalMs`. Should the thread fail, the connection
 * checkpoints by itself again. Closing the last connection checkpoints what is left.
 */
export class WalCheckpointer {
  private thread: Worker | undefined;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly sqlite: SQLite.Database,
    private readonly path: string,
    private readonly options: WalCheckpointerOptions = {},
  ) {
    sqlite.pragma('wal_autocheckpoint = 0');
    this.timer = setInterval(() => void this.look(), options.intervalMs ?? 1000);
    this.timer.unref();
  }

  private async look(): Promise<void> {
    const size = await stat(`${this.path}-wal`).then(
      (s) => s.size,
      () => 0,
    );
    if (this.closed || this.thread || size < (this.options.startBytes ?? 4 * 1024 * 1024)) return;
    clearInterval(this.timer);
    const thread = new Worker(THREAD, {
      eval: true,
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        path: this.path,
        intervalMs: this.options.intervalMs ?? 1000,
      },
    });
    thread.unref();
    const fallBack = () => {
      if (this.closed || this.thread !== thread) return;
      this.thread = undefined;
      void thread.terminate();
      this.sqlite.pragma('wal_autocheckpoint = 1000');
    };
    thread.on('message', (message: { failed?: string }) => {
      if (message.failed !== undefined) fallBack();
    });
    thread.on('error', fallBack);
    thread.on('exit', fallBack);
    this.thread = thread;
  }

  /** Stops the thread, after its connection is closed. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const thread = this.thread;
    if (!thread) return;
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    thread.postMessage('close');
    const timeout = setTimeout(() => void thread.terminate(), 2000);
    await exited;
    clearTimeout(timeout);
  }
}
