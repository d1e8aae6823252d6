import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';

describe('plumb dataset add and plumb blobs gc across projects', () => {
  let cli: CliFixture;
  beforeAll(async () => {
    cli = await startCliFixture();
  });
  afterAll(() => cli.dispose());

  it('uploads a file another project already stored, since this project cannot see it', async () => {
    const file = join(cli.work, 'cities.csv');
    writeFileSync(file, 'city,temp\nseattle,11\nportland,13\n');
    const first = await cli.plumb(['dataset', 'add', 'cities', file, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const ref = JSON.parse(first.stdout).version.files[0].ref as string;

    expect((await cli.t.call('POST', '/api/v1/projects', { body: { name: 'beta' } })).statusCode).toBe(201);
    const beta = await cli.t.keyFor('maintainer', 'beta');
    const second = await cli.plumb(['dataset', 'add', 'cities', file, '--json'], { PLUMB_API_KEY: beta });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).version).toMatchObject({ ref: 'cities@v1', files: [{ ref }] });
    const viewer = await cli.t.keyFor('viewer', 'beta');
    expect((await cli.t.call('GET', `/api/v1/blobs/${ref}/stat`, { key: viewer })).statusCode).toBe(200);
  });

  it('collects garbage for admins, with a dry run and a grace period', async () => {
    const dry = await cli.plumb(['blobs', 'gc', '--dry-run', '--grace', '2h']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^would remove 0 unreferenced blobs, 0 B \(grace 2h\)/);
    const json = await cli.plumb(['blobs', 'gc', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ dryRun: false, graceSeconds: 86_400, removed: 0 });

    const bad = await cli.plumb(['blobs', 'gc', '--grace', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--grace expects a duration such as 30m, 24h or 7d/);
    const maintainer = await cli.t.keyFor('maintainer');
    const denied = await cli.plumb(['blobs', 'gc'], { PLUMB_API_KEY: maintainer });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/may not blobs gc/);
  });
});
