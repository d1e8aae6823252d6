import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';
import { vegaData } from '../../testing/data.js';
import { INLINE_PROFILE_CELLS } from './datasets.service.js';

// The README's dataset walkthrough, run through the built CLI against a listening server.

describe('plumb dataset, validate and lineage commands', () => {
  let cli: CliFixture;
  let work: string;

  beforeAll(async () => {
    cli = await startCliFixture();
    ({ work } = cli);
  });
  afterAll(() => cli.dispose());

  const plumb = (...args: string[]) => cli.plumb(args);

  it('adds, re-adds, changes, diffs, validates, downloads and traces a dataset', async () => {
    const file = join(work, 'weather.csv');
    copyFileSync(vegaData('seattle-weather.csv'), file);
    const added = await plumb(
      'dataset',
      'add',
      'weather',
      file,
      '--message',
      'first',
      '--time-column',
      'date',
      '--slice-column',
      'weather',
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^added weather@v1: 1461 rows, 6 columns/);
    expect((await plumb('dataset', 'add', 'weather', file)).stdout).toMatch(
      /unchanged: the same content is already weather@v1/,
    );

    writeFileSync(file, readFileSync(file, 'utf8').replace(/,sun\n/g, ',sunny\n'));
    const second = await plumb('dataset', 'add', 'weather', file, '--parent', 'weather@v1', '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({
      created: true,
      version: { ref: 'weather@v2', parents: ['weather@v1'] },
    });

    const shown = await plumb('dataset', 'show', 'weather@v1');
    expect(shown.stdout).toContain('1461 rows, 6 columns, csv');
    // Every one of the 1,461 dates is distinct, counted exactly.
    expect(shown.stdout).toMatch(/\ndate\s+DATE\s+0\s+1461\s/);
    expect(shown.stdout).toMatch(/slices by weather:\n {2}rain: 641/);

    const diff = await plumb('dataset', 'diff', 'weather@v1', 'weather@v2');
    expect(diff.code, diff.stderr).toBe(0);
    const sunny = (readFileSync(file, 'utf8').match(/,sunny\n/g) ?? []).length;
    expect(diff.stdout).toContain(
      `rows: 1461 → 1461 (+${sunny} added, -${sunny} removed, ${1461 - sunny} unchanged)`,
    );
    expect(diff.stdout).toMatch(/COLUMN\s+KIND\s+PSI/);

    const suite = join(work, 'suite.yaml');
    writeFileSync(
      suite,
      'name: q\nexpectations:\n  - { expect: in_set, column: weather, values: [drizzle, rain, sun, snow, fog] }\n',
    );
    const ok = await plumb('validate', 'weather@v1', '--suite', suite);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^PASSED: q on weather@v1/);
    const bad = await plumb('validate', 'weather@v2', '--suite', suite);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL in_set weather/);
    expect(bad.stdout).toContain('"weather":"sunny"');

    const out = join(work, 'restored');
    const got = await plumb('dataset', 'get', 'weather@v1', '--out', out);
    expect(got.code, got.stderr).toBe(0);
    expect(readFileSync(join(out, 'weather.csv')).equals(readFileSync(vegaData('seattle-weather.csv')))).toBe(
      true,
    );

    const lineage = await plumb('lineage', 'dataset', 'weather@v1');
    expect(lineage.stdout).toMatch(/downstream:\n {2}↓ weather@v2 \(dataset version\) \[parent of\]/);

    const versions = await plumb('dataset', 'versions', 'weather', '--json');
    expect(
      JSON.parse(versions.stdout).map((v: { ref: string; validationStatus: string }) => [
        v.ref,
        v.validationStatus,
      ]),
    ).toEqual([
      ['weather@v2', 'failed'],
      ['weather@v1', 'passed'],
    ]);
  });

  it('names the file and line of a bad CSV and exits 1', async () => {
    const file = join(work, 'ragged.csv');
    writeFileSync(file, 'a,b\n1,2\n3\n');
    const r = await plumb('dataset', 'add', 'bad', file);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ragged.csv: line 3 has 1 fields but the header has 2');
  });
});

describe('plumb dataset add --wait', () => {
  let cli: CliFixture;

  beforeAll(async () => {
    cli = await startCliFixture({ worker: true });
  });
  afterAll(() => cli.dispose());

  it('waits for the profile of a version too large to profile while adding it, quietly when piped', async () => {
    // Past what the server profiles before answering, so a job does it.
    const rows = INLINE_PROFILE_CELLS / 2 + 1;
    const file = join(cli.work, 'big.csv');
    writeFileSync(
      file,
      `id,bucket\n${Array.from({ length: rows }, (_, i) => `${i},${i % 97}`).join('\n')}\n`,
    );

    const added = await cli.plumb(['dataset', 'add', 'big', file, '--wait']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(
      new RegExp(`^added big@v1: ${rows} rows, 2 columns, .* \\(profile ready\\)\n$`),
    );
    expect(added.stderr).toBe('');

    const shown = await cli.plumb(['dataset', 'show', 'big@v1']);
    const total = rows.toLocaleString('en');
    expect(shown.stdout).toMatch(
      new RegExp(
        `profile ready \\(job job_\\w+ succeeded, ${total} of ${total} rows\\); validation unvalidated`,
      ),
    );
    // 97 buckets are counted exactly; a million ids are estimated, and say so.
    expect(shown.stdout).toMatch(/\nbucket\s+BIGINT\s+0\s+97\s/);
    expect(shown.stdout).toMatch(/\nid\s+BIGINT\s+0\s+≈\d+ \(±0\.81%\)\s/);

    const json = JSON.parse((await cli.plumb(['dataset', 'show', 'big@v1', '--json'])).stdout);
    expect(json.profileJob).toMatchObject({ state: 'succeeded', progress: { rows, total: rows } });

    const again = await cli.plumb(['dataset', 'add', 'other', file, '--json']);
    const { version } = JSON.parse(again.stdout);
    expect(version.profileJob.id).toMatch(/^job_/);
    const text = await cli.plumb(['dataset', 'add', 'third', file]);
    expect(text.stdout).toMatch(
      /\(profile pending as job job_\w+; follow it with plumb dataset show third@v1, or add with --wait\)/,
    );
  }, 120_000);
});
