import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WalCheckpointer } from './wal-checkpointer.js';

describe('WAL checkpoints off the event loop', () => {
  let dir: string;
  let path: string;
  let sqlite: SQLite.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plumb-wal-'));
    path = join(dir, 'plumb.db');
    sqlite = new SQLite(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.exec('create table t (id integer primary key, body text not null)');
  });
  afterEach(() => {
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (rows: number) => {
    const insert = sqlite.prepare('insert into t (body) values (?)');
    sqlite.transaction(() => {
      for (let i = 0; i < rows; i++) insert.run('x'.repeat(1000));
    })();
  };
  const databaseBytes = () => statSync(path).size;

  it('the connection never checkpoints in a commit; a thread does, once the WAL has grown', async () => {
    const checkpointer = new WalCheckpointer(sqlite, path, { startBytes: 256 * 1024, intervalMs: 20 });
    try {
      expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      // Past SQLite's own threshold of 1,000 pages, no commit copied anything into the database.
      for (let i = 0; i < 10; i++) write(500);
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(4 * 1024 * 1024);
      const before = databaseBytes();
      expect(before).toBeLessThan(64 * 1024);

      const deadline = Date.now() + 10_000;
      while (databaseBytes() < 4 * 1024 * 1024 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(databaseBytes()).toBeGreaterThan(4 * 1024 * 1024);
      expect(sqlite.prepare('select count(*) as n from t').get()).toEqual({ n: 5000 });
    } finally {
      await checkpointer.close();
    }
    // The thread's connection is closed: this one is the last and may take the file over.
    expect(sqlite.pragma('wal_checkpoint(TRUNCATE)')).toEqual([{ busy: 0, log: 0, checkpointed: 0 }]);
  });

  it('starts no thread while the WAL stays small', async () => {
    const checkpointer = new WalCheckpointer(sqlite, path, { startBytes: 8 * 1024 * 1024, intervalMs: 20 });
    write(100);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(databaseBytes()).toBeLessThan(64 * 1024);
    await checkpointer.close();
  });
});
