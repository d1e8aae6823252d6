import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../testing/cli-harness.js';

// What people see from the built CLI: server data escaped, lists paged, one time format.

/** Anything a terminal would act on: C0, DEL, C1 and the bidirectional formatting characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('CLI output for people', () => {
  let cli: CliFixture;

  beforeAll(async () => {
    cli = await startCliFixture();
  });
  afterAll(() => cli.dispose());

  const post = async (url: string, body: unknown) => {
    const r = await cli.t.call('POST', url, { body });
    if (r.statusCode >= 300) throw new Error(`${url}: ${r.body}`);
    return r.json();
  };

  it('escapes control characters in server data instead of letting them drive the terminal', async () => {
    const name = '\u001b[2J\u001b[H\u009b31m\u007f\u202eevil\r\nrun_FORGED  forged  succeeded';
    const run = await post('/api/v1/runs', {
      name,
      params: { 'lr\u001b[8m': 0.1 },
      tags: { note: 'a\u2066b\u0007' },
      codeVersion: 'abc\rdef',
    });
    const escaped =
      '\\u001b[2J\\u001b[H\\u009b31m\\u007f\\u202eevil\\u000d\\u000arun_FORGED  forged  succeeded';

    const list = await cli.plumb(['run', 'list', '--name', name]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(UNSAFE);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(new RegExp(`^${run.id}  `));
    expect(lines[1]).toContain(escaped);
    expect(lines.some((l) => l.startsWith('run_FORGED'))).toBe(false);

    const shown = await cli.plumb(['run', 'show', run.id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toMatch(UNSAFE);
    expect(shown.stdout.split('\n')[0]).toBe(`run ${run.id}  ${escaped}`);
    expect(shown.stdout).toContain('lr\\u001b[8m');
    expect(shown.stdout).toContain('a\\u2066b\\u0007');
    expect(shown.stdout).toContain('code version abc\\u000ddef');

    // Scripts get the data as it is.
    const json = await cli.plumb(['run', 'list', '--name', name, '--json']);
    expect(JSON.parse(json.stdout)[0].name).toBe(name);
  });

  it('pages every list with --limit and --cursor and says how to go on', async () => {
    for (const n of [1, 2, 3]) await post('/api/v1/runs', { name: 'paged', params: { n } });
    const first = await cli.plumb(['run', 'list', '--name', 'paged', '--limit', '2']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trimEnd().split('\n')).toHaveLength(3);
    const cursor = /^more: add --cursor (\S+)$/m.exec(first.stderr)?.[1];
    expect(cursor).toBeDefined();
    const rest = await cli.plumb([
      'run',
      'list',
      '--name',
      'paged',
      '--limit',
      '2',
      '--cursor',
      cursor!,
      '--json',
    ]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(JSON.parse(rest.stdout)).toHaveLength(1);
    expect(rest.stderr).toBe('');
    const all = await cli.plumb(['run', 'list', '--name', 'paged', '--json']);
    const ids = JSON.parse(all.stdout).map((r: { id: string }) => r.id);
    const firstIds = JSON.parse(
      (await cli.plumb(['run', 'list', '--name', 'paged', '--limit', '2', '--json'])).stdout,
    ).map((r: { id: string }) => r.id);
    expect([...firstIds, JSON.parse(rest.stdout)[0].id]).toEqual(ids);

    // The same options on lists that used to read everything.
    await cli.t.keyFor('viewer');
    const keys = await cli.plumb(['keys', 'list', '--limit', '1']);
    expect(keys.code, keys.stderr).toBe(0);
    expect(keys.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(keys.stderr).toMatch(/^more: add --cursor \S+\n$/);

    const bad = await cli.plumb(['audit', 'list', '--limit', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--limit 0: expected a whole number of 1 or more');
  });

  it('shows times as 2001-01-01 00:01Z and dates as dates, in every table', async () => {
    writeFileSync(
      join(cli.work, 'events.csv'),
      'at,day,n\n2001-01-01T00:01:00Z,2001-01-01,1\n2001-07-01T00:00:00Z,2001-07-01,2\n',
    );
    const added = await cli.plumb(['dataset', 'add', 'events', 'events.csv']);
    expect(added.code, added.stderr).toBe(0);
    const shown = await cli.plumb(['dataset', 'show', 'events@v1']);
    expect(shown.code, shown.stderr).toBe(0);
    const row = (column: string) => shown.stdout.split('\n').find((l) => l.startsWith(`${column} `)) ?? '';
    expect(row('at')).toMatch(/ 2001-01-01 00:01Z +2001-07-01 00:00Z$/);
    expect(row('day')).toMatch(/ 2001-01-01 +2001-07-01$/);
    expect(shown.stdout).toMatch(/created \d{4}-\d{2}-\d{2} \d{2}:\d{2}Z by /);

    const versions = await cli.plumb(['dataset', 'versions', 'events']);
    expect(versions.stdout.split('\n')[1]).toMatch(/ {2}\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z$/);
    const audit = await cli.plumb(['audit', 'list', '--limit', '3']);
    expect(audit.stdout).not.toMatch(/T\d{2}:\d{2}:\d{2}/);
    expect(audit.stdout.split('\n')[1]).toMatch(/^\d+ +\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z /);
  });
});
