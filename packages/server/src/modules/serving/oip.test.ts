import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTestPlumb, type TestPlumb } from '../../testing/test-plumb.js';
import { createEndpoint, eventsOf, MODELS, registerWeather, rowFeatures } from './serving.test-kit.js';

// The specification's own schemas, read from its OpenAPI document, check every answer.
const SPEC = parse(
  readFileSync(new URL('../../../fixtures/specs/open_inference_rest.yaml', import.meta.url), 'utf8'),
) as {
  components: { schemas: Record<string, object> };
};
const ajv = new Ajv({ strict: false, allErrors: true });
for (const [name, schema] of Object.entries(SPEC.components.schemas)) {
  ajv.addSchema(JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '')), name);
}
function conforms(schema: string, body: unknown): void {
  const validate = ajv.getSchema(schema)!;
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}

describe('Open Inference Protocol v2', () => {
  let t: TestPlumb;
  let service: string;

  beforeAll(async () => {
    t = await createTestPlumb();
    await registerWeather(t);
    await createEndpoint(t, { name: 'forecast', routes: [{ target: 'weather@champion', weight: 1 }] });
    service = await t.keyFor('service');
  });
  afterAll(() => t.dispose());

  const call = (method: string, url: string, body?: unknown) =>
    t.call(method, url, { key: service, ...(body === undefined ? {} : { body }) });

  it('answers server live, ready and metadata', async () => {
    expect((await call('GET', '/v2/health/live')).json()).toEqual({ live: true });
    expect((await call('GET', '/v2/health/ready')).statusCode).toBe(200);
    const metadata = await call('GET', '/v2');
    conforms('metadata_server_response', metadata.json());
    expect(metadata.json().name).toBe('plumb');
  });

  it("describes an endpoint as a model: its served versions and its primary's tensors", async () => {
    const response = await call('GET', '/v2/models/forecast');
    expect(response.statusCode).toBe(200);
    conforms('metadata_model_response', response.json());
    expect(response.json()).toMatchObject({
      name: 'forecast',
      versions: ['weather@v1'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
    });
    expect((await call('GET', '/v2/models/forecast/ready')).json()).toEqual({
      name: 'forecast',
      ready: true,
    });
    expect((await call('GET', '/v2/models/forecast/versions/1/ready')).json()).toEqual({
      name: 'forecast',
      ready: true,
    });
    expect((await call('GET', '/v2/models/forecast/versions/7/ready')).json()).toEqual({
      name: 'forecast',
      ready: false,
    });
  });

  it("answers inference with onnxruntime's outputs for the same tensor, and logs each row", async () => {
    const rows = [3, 40, 77];
    const data = rows.flatMap((i) => rowFeatures(i));
    const body = { id: 'req-1', inputs: [{ name: 'features', shape: [3, 4], datatype: 'FP32', data }] };
    const response = await call('POST', '/v2/models/forecast/infer', body);
    expect(response.statusCode).toBe(200);
    const answer = response.json();
    conforms('inference_response', answer);
    expect(answer).toMatchObject({ model_name: 'forecast', model_version: 'weather@v1', id: 'req-1' });

    const session = await ort.InferenceSession.create(MODELS.baselineBytes);
    try {
      const direct = await session.run({
        features: new ort.Tensor('float32', Float32Array.from(data), [3, 4]),
      });
      for (const name of session.outputNames) {
        const out = answer.outputs.find((o: { name: string }) => o.name === name);
        const tensor = direct[name]!;
        expect(out.shape).toEqual([...tensor.dims]);
        expect(out.datatype).toBe(tensor.type === 'float32' ? 'FP32' : 'INT64');
        expect(out.data).toEqual(Array.from(tensor.data as ArrayLike<number | bigint>, Number));
      }
    } finally {
      await session.release();
    }
    expect((await eventsOf(t, 'forecast')).filter((e) => e.traceId === 'req-1')).toHaveLength(3);

    // Nested data and a pinned version answer the same; only asked-for outputs are sent.
    const nested = await call('POST', '/v2/models/forecast/versions/weather@v1/infer', {
      inputs: [{ name: 'features', shape: [3, 4], datatype: 'FP32', data: rows.map((i) => rowFeatures(i)) }],
      outputs: [{ name: 'probabilities' }],
    });
    expect(nested.statusCode).toBe(200);
    expect(nested.json().outputs.map((o: { name: string }) => o.name)).toEqual(['probabilities']);
    expect(nested.json().outputs[0].data).toEqual(
      answer.outputs.find((o: { name: string }) => o.name === 'probabilities').data,
    );
  });

  it("answers errors as the protocol's { error } with 400 and 404", async () => {
    const mismatch = await call('POST', '/v2/models/forecast/infer', {
      inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6, 7] }],
    });
    expect(mismatch.statusCode).toBe(400);
    conforms('inference_error_response', mismatch.json());
    expect(mismatch.json()).toEqual({
      error: 'input features: shape [2, 4] holds 8 elements but data has 7',
    });
    const malformed = await call('POST', '/v2/models/forecast/infer', { inputs: [{ name: 'features' }] });
    expect(malformed.statusCode).toBe(400);
    expect(typeof malformed.json().error).toBe('string');
    const width = await call('POST', '/v2/models/forecast/infer', {
      inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }],
    });
    expect(width.statusCode).toBe(400);
    expect(width.json().error).toContain('expects 4 features');
    const missing = await call('POST', '/v2/models/nowhere/infer', {
      inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
    });
    expect(missing.statusCode).toBe(404);
    conforms('metadata_model_error_response', missing.json());
    expect((await call('GET', '/v2/models/forecast/versions/9')).statusCode).toBe(404);
    // A path the protocol does not have answers in its shape too, and the rest of the API in Plumb's.
    for (const [method, url] of [
      ['GET', '/v2/models/forecast/explain'],
      ['POST', '/v2/repository/index'],
      ['DELETE', '/v2/models/forecast'],
    ] as const) {
      const unmatched = await call(method, url);
      expect(unmatched.statusCode, url).toBe(404);
      conforms('metadata_model_error_response', unmatched.json());
      expect(unmatched.json()).toEqual({ error: `no route ${method} ${url}` });
    }
    const api = await call('GET', '/api/v1/nowhere');
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('not_found');
  });

  it('takes the API key as Authorization: Bearer, like every route', async () => {
    const none = await t.call('POST', '/v2/models/forecast/infer', { key: null, body: { inputs: [] } });
    expect(none.statusCode).toBe(401);
    const viewer = await t.keyFor('viewer');
    expect((await t.call('GET', '/v2/models/forecast', { key: viewer })).statusCode).toBe(403);
  });
});
