import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliFixture, startCliFixture } from '../../testing/cli-harness.js';
import { addDataset, answer, reviewRows, SCHEMA_YAML } from './annotation.test-kit.js';

describe('plumb annotate commands', () => {
  let cli: CliFixture;
  beforeAll(async () => {
    cli = await startCliFixture();
    await addDataset(cli.t, 'reviews', reviewRows(2));
    writeFileSync(join(cli.work, 'schema.yaml'), SCHEMA_YAML);
    writeFileSync(
      join(cli.work, 'bad.yaml'),
      'questions:\n  - name: x\n    type: single_choice\n    choices: [only]\n',
    );
    writeFileSync(
      join(cli.work, 'guidelines.md'),
      '# Sentiment\nPositive means the reviewer would buy again.\n',
    );
  });
  afterAll(() => cli.dispose());

  const plumb = (...args: string[]) => cli.plumb(args);

  it('creates, lists and shows projects, adds tasks, labels, reports status and exports', async () => {
    const bad = await plumb('annotate', 'project', 'create', 'broken', '--schema', 'bad.yaml');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/questions\.0\.choices: .*line 4/);

    const created = await plumb(
      'annotate',
      'project',
      'create',
      'sentiment',
      '--schema',
      'schema.yaml',
      '--guidelines',
      'guidelines.md',
      '--overlap',
      '2',
      '--consensus',
      'majority',
      '--min-agreement',
      '0.5',
      '--json',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: 'sentiment',
      guidelinesVersion: 1,
      settings: { overlap: 2 },
    });
    const list = await plumb('annotate', 'project', 'list');
    expect(list.stdout).toMatch(/^NAME\s+ITEMS/);
    expect(list.stdout).toContain('sentiment');
    const tasks = await plumb(
      'annotate',
      'tasks',
      'sentiment',
      '--from-dataset',
      'reviews@v1',
      '--limit',
      '1',
    );
    expect(tasks.stdout).toBe('sentiment: 1 item added, 0 already present\n');
    const show = await plumb('annotate', 'project', 'show', 'sentiment');
    expect(show.stdout).toContain('1 item, 0 gold');
    expect(show.stdout).toContain('sentiment: single_choice');

    // One annotator works from the terminal, the other through REST.
    const env = { PLUMB_API_KEY: await cli.t.keyFor('annotator') };
    const { task } = JSON.parse((await cli.plumb(['annotate', 'next', 'sentiment', '--json'], env)).stdout);
    expect(task.data).toMatchObject({ id: 0 });
    const done = await cli.plumb(
      ['annotate', 'label', 'sentiment', task.itemId, '--value', JSON.stringify(answer('positive', 4))],
      env,
    );
    expect(done.stdout, done.stderr).toMatch(/^labelled ani_[0-9a-f]+ \(revision 1, guidelines v1\)\n$/);
    const none = await cli.plumb(['annotate', 'next', 'sentiment'], env);
    expect(none.stdout).toBe('nothing left for you to label\n');
    const other = await cli.t.keyFor('annotator');
    for (;;) {
      const { task } = (
        await cli.t.call('GET', '/api/v1/annotation/projects/sentiment/next', { key: other })
      ).json();
      if (!task) break;
      await cli.t.call('POST', `/api/v1/annotation/projects/sentiment/items/${task.itemId}/labels`, {
        key: other,
        body: { value: answer('positive', 4) },
      });
    }

    const json = await plumb('annotate', 'status', 'sentiment', '--json');
    const status = JSON.parse(json.stdout);
    expect(status).toEqual((await cli.t.call('GET', '/api/v1/annotation/projects/sentiment/status')).json());
    expect(status.items).toMatchObject({ total: 1, agreed: 1 });
    const text = await plumb('annotate', 'status', 'sentiment');
    expect(text.stdout).toContain('items 1: 0 open, 1 agreed');
    expect(text.stdout).toMatch(/sentiment\s+nominal\s+1\s+1\.000/);

    const exported = await plumb('annotate', 'export', 'sentiment', '--to', 'sentiment-labels');
    expect(exported.stdout, exported.stderr).toMatch(
      /^sentiment-labels@v1: 1 row \(0 items without consensus left out\)\n/,
    );
  }, 120_000);
});
