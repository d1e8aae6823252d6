import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';

// `plumb pipeline …` as a user runs it: the built CLI against a listening app with its worker.
describe('plumb pipeline', () => {
  let f: CliFixture;
  beforeAll(async () => {
    f = await startCliFixture({ worker: true });
  }, 60_000);
  afterAll(() => f.dispose());

  // Each CLI start loads the whole client: on two busy cores, seconds per command.
  it('applies, runs, shows, follows logs, approves and lists', async () => {
    writeFileSync(join(f.work, 'hello.mjs'), "console.log('hello from', process.env.PLUMB_STEP);\n");
    writeFileSync(
      join(f.work, 'p.yaml'),
      `name: hello
steps:
  - { name: greet, kind: command, run: [node, hello.mjs] }
  - { name: ok, kind: approval, needs: [greet], with: { role: approver } }
`,
    );
    const applied = await f.plumb(['pipeline', 'apply', 'p.yaml']);
    expect(applied.stdout).toBe('stored hello@v1\n');
    expect((await f.plumb(['pipeline', 'apply', 'p.yaml'])).stdout).toMatch(/^unchanged/);

    const run = await f.plumb(['pipeline', 'run', 'hello', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const started = JSON.parse(run.stdout) as { id: string; status: string };
    expect(started.status).toBe('waiting');

    const shown = await f.plumb(['pipeline', 'show', started.id]);
    expect(shown.stdout).toMatch(/greet\s+command\s+succeeded/);
    expect(shown.stdout).toContain(`plumb pipeline approve ${started.id} ok`);

    const approved = await f.plumb(['pipeline', 'approve', started.id, 'ok', '--comment', 'fine']);
    expect(approved.code, approved.stderr).toBe(0);
    const logs = await f.plumb(['pipeline', 'logs', started.id, '--follow']);
    expect(logs.stdout).toContain('greet#1 hello from greet');

    const runs = await f.plumb(['pipeline', 'runs', 'hello']);
    expect(runs.stdout).toMatch(new RegExp(`${started.id}\\s+hello@v1\\s+succeeded\\s+manual`));
    const list = await f.plumb(['pipeline', 'list']);
    expect(list.stdout).toMatch(/hello@v1\s+2\s+manual/);
    const refused = await f.plumb(['pipeline', 'cancel', started.id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/failed_precondition: run .* has already succeeded/);
  }, 180_000);
});
