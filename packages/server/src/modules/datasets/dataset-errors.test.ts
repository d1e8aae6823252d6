import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachBackend } from '../../testing/test-database.js';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';

/** What must never reach a user: the blob store's layout and the SQL Plumb runs. */
function expectNoInternals(message: string): void {
  for (const leak of ['/blobs/', 'sha256/', 'read_parquet', 'read_csv', 'read_json', 'SELECT', 'LINE 1']) {
    expect(message, message).not.toContain(leak);
  }
}

describeEachBackend('dataset errors', (backend) => {
  let t: TestPlumb;
  beforeEach(async () => {
    t = await createTestPlumb(backend);
  });
  afterEach(() => t.dispose());

  async function add(name: string, files: Record<string, Buffer | string>) {
    const refs = [];
    for (const [path, bytes] of Object.entries(files)) {
      const response = await t.call('POST', '/api/v1/blobs', {
        body: Buffer.from(bytes),
        headers: { 'content-type': 'application/octet-stream' },
      });
      refs.push({ path, ref: response.json().ref });
    }
    return t.call('POST', `/api/v1/datasets/${name}/versions`, { body: { files: refs } });
  }

  it('names the uploaded file of a corrupt Parquet, never its blob path or the query', async () => {
    const response = await add('flights', { 'flights.parquet': 'PAR1 these bytes are not a footer PAR1' });
    expect(response.statusCode, response.body).toBe(400);
    const { message } = response.json().error;
    expect(message).toMatch(/^flights\.parquet: /);
    expectNoInternals(message);
  });

  it('names the uploaded file of a CSV that fails on a late line', async () => {
    const rows = Array.from({ length: 150_000 }, (_, i) => `${i},${i === 149_999 ? 'oops' : i * 2}`);
    const response = await add('late', { 'sales/late.csv': `id,amount\n${rows.join('\n')}\n` });
    expect(response.statusCode, response.body).toBe(400);
    const { message } = response.json().error;
    expect(message).toMatch(/^sales\/late\.csv: .*150001/s);
    expect(message).toContain('oops');
    expectNoInternals(message);
  });

  it('explains a validation bound that does not fit its column without SQL', async () => {
    expect((await add('w', { 'days.csv': 'day,n\n2024-01-01,1\n2024-01-02,2\n' })).statusCode).toBe(201);
    const suite = "name: s\nexpectations:\n  - { expect: between, column: day, min: 'last tuesday' }\n";
    const response = await t.call('POST', '/api/v1/datasets/w/versions/1/validations', { body: { suite } });
    expect(response.statusCode, response.body).toBe(201);
    const [result] = response.json().results;
    expect(result.passed).toBe(false);
    expect(result.message).toContain('last tuesday');
    expect(result.message).toContain('days.csv');
    expectNoInternals(result.message);
  });
});
