import type { AnnotationSettings, LabelValue, NextAnnotationTask } from '@plumb/sdk';
import { expect } from 'vitest';
import type { TestPlumb } from '../../testing/test-plumb.js';

export const SCHEMA_YAML = `
show: [text]
questions:
  - name: sentiment
    type: single_choice
    choices: [positive, negative, neutral]
    shortcuts: { positive: p, negative: n, neutral: u }
  - name: rating
    type: scale
    min: 1
    max: 5
  - name: entities
    type: span
    field: text
    labels: [PER, ORG]
  - name: note
    type: free_text
`;

/** Rows of a small review dataset, two slices. */
export function reviewRows(n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i,
    text: `Review number ${i} from Ada at Acme`,
    lang: i % 2 === 0 ? 'en' : 'de',
  }));
}

export async function addDataset(
  t: TestPlumb,
  name: string,
  rows: Record<string, unknown>[],
  sliceColumn?: string,
) {
  const bytes = new TextEncoder().encode(`${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const blob = await t.plumb.services.blobService.upload(t.adminCtx, bytes);
  const { version } = await t.plumb.services.datasets.addVersion(t.adminCtx, name, {
    files: [{ path: `${name}.jsonl`, ref: blob.ref }],
    message: '',
    parents: [],
    tags: {},
    ...(sliceColumn ? { sliceColumn } : {}),
  });
  return version;
}

export async function createProject(
  t: TestPlumb,
  name: string,
  settings: Partial<AnnotationSettings> = {},
  schema = SCHEMA_YAML,
) {
  const res = await t.call('POST', '/api/v1/annotation/projects', {
    body: { name, schema, guidelines: '# Reviews\nLabel the sentiment.', ...settings },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export async function addTasks(t: TestPlumb, project: string, body: unknown) {
  const res = await t.call('POST', `/api/v1/annotation/projects/${project}/tasks`, { body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { added: number; alreadyPresent: number };
}

export async function next(t: TestPlumb, project: string, key: string): Promise<NextAnnotationTask> {
  const res = await t.call('GET', `/api/v1/annotation/projects/${project}/next`, { key });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export function label(t: TestPlumb, project: string, key: string, item: string, value: LabelValue) {
  return t.call('POST', `/api/v1/annotation/projects/${project}/items/${item}/labels`, {
    key,
    body: { value },
  });
}

/** A full answer to SCHEMA_YAML. */
export function answer(sentiment: string, rating = 3, entities: unknown[] = []): LabelValue {
  return { sentiment, rating, entities, note: '' };
}

export async function annotators(t: TestPlumb, n: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push(await t.keyFor('annotator'));
  return keys;
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.parse('2026-03-01T00:00:00Z')) {
  let now = start;
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}
