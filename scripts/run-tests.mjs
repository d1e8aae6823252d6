// Runs the whole suite with vitest and closes with one plain line, `N passed, N failed,
// N skipped`, that tools outside vitest can read. Skipped counts the PostgreSQL suites left out
// when PLUMB_TEST_DATABASE_URL is unset (describeEachBackend registers them as skipped). The exit
// code is vitest's.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = join(tmpdir(), `plumb-vitest-${process.pid}.json`);
rmSync(out, { force: true });
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
];
const result = spawnSync('npx', args, { stdio: 'inherit' });

let passed = 0;
let failed = 0;
let skipped = 0;
let postgresSkipped = 0;
try {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  skipped = report.numPendingTests + report.numTodoTests;
  for (const file of report.testResults) {
    if (file.status === 'failed' && file.assertionResults.length === 0) failed += 1;
    for (const test of file.assertionResults) {
      const skippedTest = test.status === 'pending' || test.status === 'skipped' || test.status === 'todo';
      if (skippedTest && test.ancestorTitles.some((t) => t.endsWith('[postgres]'))) postgresSkipped += 1;
    }
  }
} catch {
  failed = Math.max(failed, 1);
} finally {
  rmSync(out, { force: true });
}
const code = result.status ?? 1;
if (code !== 0 && failed === 0) failed = 1;
console.log('');
if (!process.env.PLUMB_TEST_DATABASE_URL) {
  console.log(
    `PostgreSQL suites skipped: set PLUMB_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them (${postgresSkipped} test${postgresSkipped === 1 ? '' : 's'})`,
  );
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(code);
