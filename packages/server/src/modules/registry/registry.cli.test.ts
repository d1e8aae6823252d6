import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';
import type { TestPlumb } from '../../testing/test-plumb.js';
import { registryKit } from './registry.test-kit.js';

// The registry walkthrough through the built CLI and the SDK against a listening server.

const CARD = `---
intended_use: Next-day weather category for Seattle dashboards.
out_of_scope_use: Severe-weather warnings.
limitations: Fog and drizzle are rare.
ethical_considerations: Show the confidence with every prediction.
---
`;

describe('plumb model, inventory and lineage model commands', () => {
  let cli: CliFixture;
  let t: TestPlumb;
  let work: string;

  beforeAll(async () => {
    cli = await startCliFixture();
    ({ t, work } = cli);
  });
  afterAll(() => cli.dispose());

  it('creates, registers, aliases, promotes through approval, rolls back and traces a model', async () => {
    const world = await registryKit.weatherWorld(t);
    writeFileSync(join(work, 'model.onnx'), registryKit.weatherModel().bytes);
    writeFileSync(join(work, 'card.md'), CARD);
    writeFileSync(join(work, 'weather.csv'), registryKit.weatherCsv());

    const created = await cli.plumb([
      'model',
      'create',
      'weather-clf',
      '--risk-class',
      'limited',
      '--owner',
      'forecasting',
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('risk class limited; owner forecasting');

    const registered = await cli.plumb([
      'model',
      'register',
      'weather-clf',
      '--artifact',
      'model.onnx',
      '--run',
      world.runId,
      '--card',
      'card.md',
    ]);
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stdout).toMatch(
      /^registered weather-clf@v1 \(mv_\w+\): ONNX, .*, run run_\w+, trained on weather@v1\n$/,
    );

    const notOnnx = await cli.plumb(['model', 'register', 'weather-clf', '--artifact', 'weather.csv']);
    expect(notOnnx.code).toBe(1);
    expect(notOnnx.stderr).toMatch(/^plumb: invalid_argument: .*not a loadable ONNX model/);

    const upstream = await cli.plumb([
      'model',
      'register',
      'weather-clf',
      '--upstream-oip',
      'http://triton:8000/v2/models/w',
      '--json',
    ]);
    expect(JSON.parse(upstream.stdout)).toMatchObject({ ref: 'weather-clf@v2', artifact: { kind: 'oip' } });

    // champion is gated and nothing has evaluated the candidate.
    const gated = await cli.plumb(['model', 'promote', 'weather-clf@v1']);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toMatch(
      /failed_precondition: champion is gated and weather-clf@v1 has no evaluation gate decision/,
    );

    const set = await cli.plumb(['model', 'alias', 'set', 'weather-clf', 'challenger', 'weather-clf@v2']);
    expect(set.stdout).toBe('weather-clf@challenger → weather-clf@v2\n');
    const stale = await cli.plumb([
      'model',
      'alias',
      'set',
      'weather-clf',
      'challenger',
      'v1',
      '--expect',
      'v1',
    ]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/conflict: weather-clf@challenger points at v2, not v1/);
    expect(
      (await cli.plumb(['model', 'alias', 'set', 'weather-clf', 'challenger', 'v1', '--expect', 'v2'])).code,
    ).toBe(0);
    const back = await cli.plumb([
      'model',
      'rollback',
      'weather-clf',
      '--alias',
      'challenger',
      '--reason',
      'v1 misbehaves',
    ]);
    expect(back.stdout).toBe('rolled back: weather-clf@challenger → weather-clf@v2\n');
    const history = await cli.plumb(['model', 'alias', 'history', 'weather-clf', 'challenger', '--json']);
    expect(JSON.parse(history.stdout).map((m: { action: string }) => m.action)).toEqual([
      'rollback',
      'set',
      'set',
    ]);

    // Approval: a maintainer asks, the same key cannot approve, an approver can.
    const update = await cli.plumb(['model', 'update', 'weather-clf', '--approval-required', 'yes']);
    expect(update.stdout).toContain('approval required');
    const maintainer = { PLUMB_API_KEY: await t.keyFor('maintainer') };
    const asked = await cli.plumb(
      ['model', 'promote', 'weather-clf@v1', '--alias', 'canary', '--json'],
      maintainer,
    );
    const request = JSON.parse(asked.stdout).request;
    expect(request).toMatchObject({ status: 'pending', alias: 'canary', ref: 'weather-clf@v1' });
    const own = await cli.plumb(['model', 'approve', request.id, '--comment', 'mine'], maintainer);
    expect(own.code).toBe(1);
    expect(own.stderr).toMatch(/permission_denied/);
    const approved = await cli.plumb(['model', 'approve', request.id, '--comment', 'looks right'], {
      PLUMB_API_KEY: await t.keyFor('approver'),
    });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(
      new RegExp(`^${request.id}: weather-clf@v1 → canary \\(now unset\\) approved`),
    );
    const requests = await cli.plumb(['model', 'requests', '--status', 'approved']);
    expect(requests.stdout).toContain(request.id);

    const status = await cli.plumb(['model', 'status', 'weather-clf@v2', 'staging']);
    expect(status.stdout).toBe('weather-clf@v2 is staging\n');

    const card = await cli.plumb(['model', 'card', 'weather-clf@canary']);
    expect(card.code, card.stderr).toBe(0);
    expect(card.stdout).toContain('# Model card: weather-clf@v1');
    expect(card.stdout).toContain('| weather@v1 | 1461 | ready | unvalidated |');
    expect(card.stdout).toContain('looks right');

    const inventory = JSON.parse((await cli.plumb(['inventory', '--json'])).stdout);
    expect(inventory).toMatchObject([
      {
        name: 'weather-clf',
        riskClass: 'limited',
        versionCount: 2,
        aliases: { canary: 'weather-clf@v1', challenger: 'weather-clf@v2' },
        datasets: [{ ref: 'weather@v1' }],
      },
    ]);
    const table = await cli.plumb(['inventory']);
    expect(table.stdout).toMatch(/NAME\s+RISKCLASS\s+OWNER/);

    const lineage = await cli.plumb(['lineage', 'model', 'weather-clf@v1']);
    expect(lineage.code, lineage.stderr).toBe(0);
    expect(lineage.stdout).toBe(
      [
        'weather-clf@v1 (model version)',
        `  ↑ weather-logreg (${world.runId}) (run) [produced]`,
        '    ↑ weather@v1 (dataset version) [consumed by]',
        '',
      ].join('\n'),
    );
    expect((await cli.plumb(['lineage', 'dataset', 'weather@v1'])).code).toBe(0);
  });
});
