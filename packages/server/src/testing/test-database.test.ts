import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeEachBackend, testBackends } from './test-database.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

describeEachBackend('describeEachBackend', (backend) => {
  it('hands each suite a backend this run can reach', () => {
    expect(testBackends()).toContain(backend);
  });
});

it('npm test says in its last lines how many PostgreSQL tests it left out, and why', async () => {
  const env = { ...process.env };
  delete env.PLUMB_TEST_DATABASE_URL;
  // This very file, run by the script `npm test` runs, without PostgreSQL.
  const child = spawn(
    process.execPath,
    [
      'scripts/run-tests.mjs',
      'packages/server/src/testing/test-database.test.ts',
      '-t',
      'describeEachBackend',
    ],
    { cwd: ROOT, env },
  );
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.resume();
  const code = await new Promise((resolve) => child.on('close', resolve));
  expect(code, stdout).toBe(0);
  const last = stdout.trimEnd().split('\n').slice(-2);
  expect(last).toEqual([
    'PostgreSQL suites skipped: set PLUMB_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them (1 test)',
    expect.stringMatching(/^1 passed, 0 failed, [1-9]\d* skipped$/),
  ]);
}, 120_000);
