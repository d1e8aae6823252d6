import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type InferenceEvent, type Page, PlumbClient } from '@plumb/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { exitOf, startServe } from '../../testing/cli-harness.js';

// The real `plumb serve` process, killed without warning while applications post events: every
// event whose request was answered must be there after a restart on the same PLUMB_HOME.

const ADMIN_KEY = `plumb_${'e'.repeat(43)}`;

// Both places a commit can run on SQLite: the server's connection (the default) and the writer thread.
describe.each(['loop', 'thread'])(
  'inference log across a crash of plumb serve, PLUMB_EVENT_WRITER=%s',
  (writer) => {
    const serve = (home: string) =>
      startServe(
        { PLUMB_HOME: home, PLUMB_ADMIN_KEY: ADMIN_KEY, PLUMB_EVENT_WRITER: writer },
        { args: ['--no-worker'] },
      );
    const home = mkdtempSync(join(tmpdir(), 'plumb-events-crash-'));
    let server: { child: ChildProcess; url: string } | undefined;

    afterAll(async () => {
      if (server && server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL');
        await exitOf(server.child);
      }
      rmSync(home, { recursive: true, force: true });
    });

    it('keeps every acknowledged event when the server is SIGKILLed mid-load', async () => {
      server = await serve(home);
      const first = server;
      const client = new PlumbClient({ url: first.url, apiKey: ADMIN_KEY, timeoutMs: 10_000 });
      const acknowledged: string[] = [];
      let sent = 0;
      let failed = 0;
      let killed = false;
      // Bounded: at most 4,000 requests and 60 s, whichever comes first; the kill comes after 400
      // acknowledged events, while eight callers keep requests in flight.
      const deadline = Date.now() + 60_000;
      const caller = async (n: number) => {
        for (let i = 0; sent < 4000 && Date.now() < deadline; i++) {
          sent += 1;
          // Every fifth request is a batch, the rest single events as a busy service sends them.
          const size = i % 5 === 4 ? 25 : 1;
          try {
            const { ids } = await client.events.record({
              events: Array.from({ length: size }, (_, k) => ({
                endpoint: 'crash',
                outputs: { caller: n, request: i, item: k },
                latencyMs: 1,
                tags: { caller: String(n) },
              })),
            });
            acknowledged.push(...ids);
          } catch {
            // The server is gone: an unanswered request was never acknowledged.
            failed += 1;
            if (killed) return;
          }
          if (!killed && acknowledged.length >= 400) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, (_, n) => caller(n)));
      expect(killed).toBe(true);
      await exitOf(first.child);
      expect(first.child.signalCode).toBe('SIGKILL');

      server = await serve(home);
      const after = new PlumbClient({ url: server.url, apiKey: ADMIN_KEY });
      const stored = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0; page < 200; page++) {
        const got: Page<InferenceEvent> = await after.events.list({
          endpoint: 'crash',
          order: 'asc',
          limit: 500,
          ...(cursor ? { cursor } : {}),
        });
        for (const e of got.items) stored.add(e.id);
        if (got.items.length === 0) break;
        cursor = got.nextCursor ?? undefined;
      }
      const missing = acknowledged.filter((id) => !stored.has(id));
      console.log(
        `crash test (${writer}): ${sent} requests, ${acknowledged.length} events acknowledged, ${failed} requests unanswered, ${stored.size} stored after restart`,
      );
      expect(missing).toEqual([]);
      expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length);
    }, 180_000);
  },
);
