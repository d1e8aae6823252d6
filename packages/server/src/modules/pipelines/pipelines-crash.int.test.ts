import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PipelineRun, PlumbClient } from '@plumb/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { exitOf, type ServeProcess, startServe } from '../../testing/cli-harness.js';

// A run survives `plumb serve` being killed mid-step: after a restart the step that was running
// runs again from its start (once its lease lapses), the program the killed server left running
// is stopped, and the run completes; steps that had ended are not run again.
describe('a pipeline run across a crash', () => {
  const home = mkdtempSync(join(tmpdir(), 'plumb-pipeline-crash-'));
  const dir = mkdtempSync(join(tmpdir(), 'plumb-pipeline-crash-files-'));
  let server: ServeProcess | undefined;
  // A short lease so the restarted worker takes the interrupted step over within seconds.
  const env = { PLUMB_HOME: home, PLUMB_WORKER_LEASE_MS: '2000' };

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await exitOf(server.child);
    }
    rmSync(home, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (name: string) => {
    const path = join(dir, name);
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').length : 0;
  };

  it('continues from the step that was running, and runs each finished step once', async () => {
    writeFileSync(
      join(dir, 'mark.mjs'),
      "import { appendFileSync } from 'node:fs';\nappendFileSync(process.argv[2], 'x\\n');\n",
    );
    // The first attempt would take 20 s: killed with its server, it must not finish later.
    writeFileSync(
      join(dir, 'slow.mjs'),
      "import { appendFileSync, readFileSync } from 'node:fs';\n" +
        "appendFileSync('slow-started', 'x\\n');\n" +
        "const first = readFileSync('slow-started', 'utf8').trim().split('\\n').length === 1;\n" +
        "setTimeout(() => appendFileSync('slow-done', 'x\\n'), first ? 20000 : 500);\n",
    );
    const yaml = `name: durable
steps:
  - { name: first, kind: command, run: [node, mark.mjs, first-done] }
  - { name: slow, kind: command, run: [node, slow.mjs], needs: [first] }
  - { name: last, kind: command, run: [node, mark.mjs, last-done], needs: [slow] }
`;
    server = await startServe(env);
    const { apiKey } = JSON.parse(readFileSync(join(home, 'credentials'), 'utf8')) as { apiKey: string };
    let client = new PlumbClient({ url: server.url, apiKey });
    await client.pipelines.apply(yaml, dir);
    const run = await client.pipelines.run('durable');
    const deadline = Date.now() + 30_000;
    while (lines('slow-started') === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(lines('slow-started')).toBe(1);
    const firstStarted = Date.now();

    server.child.kill('SIGKILL');
    await exitOf(server.child);
    server = await startServe(env);
    client = new PlumbClient({ url: server.url, apiKey });
    let done: PipelineRun = await client.pipelines.getRun(run.id);
    const until = Date.now() + 45_000;
    while (!['succeeded', 'failed', 'cancelled'].includes(done.status) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      done = await client.pipelines.getRun(run.id);
    }
    expect(done.status, JSON.stringify(done.steps)).toBe('succeeded');
    const slow = done.steps.find((s) => s.name === 'slow')!;
    expect(slow.attempts.map((a) => a.status)).toEqual(['interrupted', 'succeeded']);
    expect(done.steps.find((s) => s.name === 'first')!.attempts).toHaveLength(1);
    // Past the time the first attempt's program would have finished had it outlived the crash.
    await new Promise((r) => setTimeout(r, Math.max(0, firstStarted + 21_000 - Date.now())));
    const logs = await client.pipelines.logs(run.id, { step: 'slow' });
    expect(logs.lines.map((l) => l.text)).toContain(
      'stopped the program of the interrupted attempt, which was still running',
    );
    expect([lines('first-done'), lines('slow-started'), lines('slow-done'), lines('last-done')]).toEqual([
      1, 2, 1, 1,
    ]);
  }, 120_000);
});
