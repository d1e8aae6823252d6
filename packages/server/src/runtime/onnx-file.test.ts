import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PlumbError } from '../core/errors.js';
import { attr, encodeOnnxModel } from '../testing/onnx-writer.js';
import { mulberry32 } from '../testing/train-logistic.js';
import { exportTreeEnsembleClassifier } from '../testing/tree-ensemble-onnx.js';
import { ModelRuntime } from './model-runtime.js';
import { notOnnxReason, readOnnxFile, SNIFF_BYTES } from './onnx-file.js';

const dir = mkdtempSync(join(tmpdir(), 'plumb-onnx-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const zipped = exportTreeEnsembleClassifier({
  featureCount: 2,
  classes: ['no', 'yes'],
  zipMap: true,
  trees: [{ feature: 0, threshold: 0.5, ifTrue: { leaf: { 0: 1 } }, ifFalse: { leaf: { 1: 1 } } }],
});
const withDocFirst = encodeOnnxModel({
  opsets: { '': 17 },
  docString: 'x'.repeat(100_000),
  graph: {
    name: 'g',
    nodes: [{ opType: 'Softmax', inputs: ['x'], outputs: ['p'], attributes: [attr.int('axis', 1)] }],
    initializers: [],
    inputs: [{ name: 'x', type: { tensor: 'float', shape: ['N', 2] } }],
    outputs: [{ name: 'p', type: { tensor: 'float', shape: ['N', 2] } }],
  },
});

/** A ModelFiles over real files that counts the bytes each read delivered. */
function countingFiles() {
  const delivered: number[] = [];
  return {
    delivered,
    stat: async (path: string) => ({ size: statSync(path).size }),
    get: async (path: string) => {
      const i = delivered.push(0) - 1;
      const stream = createReadStream(path);
      stream.on('data', (chunk) => {
        delivered[i]! += chunk.length;
      });
      return stream;
    },
  };
}

describe('telling ONNX files from others by their first bytes', () => {
  it('lets real models through, whole or cut after their first bytes', () => {
    for (const model of [zipped, withDocFirst]) {
      expect(notOnnxReason(model, model.length)).toBeNull();
      for (const cut of [1, 2, 3, 7, 40])
        expect(notOnnxReason(model.subarray(0, cut), model.length)).toBeNull();
    }
    // ir_version comes first, as protobuf serializers write fields in number order.
    expect(zipped[0]).toBe(0x08);
  });

  it('refuses text, images, zeros and noise', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    const csv = text(
      'date,precipitation,temp_max,temp_min,wind,weather\n2012-01-01,0.0,12.8,5.0,4.7,drizzle\n',
    );
    expect(notOnnxReason(csv, csv.length)).toMatch(/field 12/);
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect(notOnnxReason(png, 1_000_000)).not.toBeNull();
    expect(notOnnxReason(new Uint8Array(4096), 4096)).not.toBeNull();
    expect(notOnnxReason(new Uint8Array(0), 0)).toBe('the file is empty');
    // A JSON file whose first byte happens to be a valid tag is caught a few fields later.
    const json = text(`B${JSON.stringify({ weights: Array.from({ length: 200 }, (_, i) => i) })}`);
    expect(notOnnxReason(json, json.length)).not.toBeNull();
    const random = mulberry32(11);
    let accepted = 0;
    for (let trial = 0; trial < 500; trial++) {
      const noise = Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256));
      if (notOnnxReason(noise, 10_000_000) === null) accepted++;
    }
    expect(accepted).toBe(0);
  });

  it('refuses a 64 MiB file that is not ONNX from its first bytes, without reading it whole', async () => {
    const path = join(dir, 'big.csv');
    const line = '2012-01-01,0.0,12.8,5.0,4.7,drizzle\n';
    writeFileSync(
      path,
      `date,precipitation,temp_max,temp_min,wind,weather\n${line.repeat((64 * 2 ** 20) / line.length)}`,
    );
    const files = countingFiles();
    const runtime = new ModelRuntime(files);
    const error = await runtime.acquire(path).catch((e: unknown) => e);
    await runtime.close();
    expect(error).toBeInstanceOf(PlumbError);
    expect(error).toMatchObject({ code: 'invalid_argument' });
    expect((error as Error).message).toMatch(
      /is not a loadable ONNX model: its first bytes are not a ModelProto/,
    );
    expect(statSync(path).size).toBeGreaterThanOrEqual(64 * 2 ** 20 - line.length);
    // One read chunk (64 KiB for file streams) at most, not 64 MiB.
    expect(files.delivered).toHaveLength(1);
    expect(files.delivered[0]!).toBeLessThanOrEqual(SNIFF_BYTES);
  });

  it('refuses a file over the size limit before reading any of it, naming the limit', async () => {
    const path = join(dir, 'model.onnx');
    writeFileSync(path, zipped);
    const files = countingFiles();
    const error = await new ModelRuntime(files, { maxModelBytes: 100 }).read(path).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'invalid_argument',
      details: { size: zipped.length, maxBytes: 100 },
    });
    expect((error as Error).message).toMatch(
      new RegExp(`is ${zipped.length} bytes; model files are limited to 100 bytes`),
    );
    expect(files.delivered).toEqual([]);

    const defaultLimit = await readOnnxFile(files.get.bind(null, path), 2 ** 31, { what: 'f' }).catch(
      (e) => e,
    );
    expect((defaultLimit as Error).message).toMatch(/limited to 2147483647 bytes \(2 GiB/);
  });

  it('reads an ONNX file into one buffer of its exact size, and loads it once for everyone', async () => {
    const path = join(dir, 'model.onnx');
    writeFileSync(path, zipped);
    const files = countingFiles();
    const runtime = new ModelRuntime(files);
    expect(Buffer.from(await runtime.read(path)).equals(Buffer.from(zipped))).toBe(true);
    const a = await runtime.acquire(path);
    const b = await runtime.acquire(path);
    expect(a.value).toBe(b.value);
    expect(a.value.classes).toEqual(['no', 'yes']);
    expect(a.value.byteSize).toBe(zipped.length);
    // One read for `read`, one for the shared load.
    expect(files.delivered).toEqual([zipped.length, zipped.length]);
    a.release();
    b.release();
    await runtime.close();
  });
});

describe('one-off use of a model', () => {
  it('shares a loaded session, and otherwise closes its own at once', async () => {
    const path = join(dir, 'once.onnx');
    writeFileSync(path, zipped);
    const runtime = new ModelRuntime(countingFiles());
    const classes = await runtime.withModel(path, (m) => m.classes);
    expect(classes).toEqual(['no', 'yes']);
    // Nothing stays loaded after a one-off use.
    expect(runtime.stats()).toEqual([]);
    const lease = await runtime.acquire(path);
    expect(await runtime.withModel(path, (m) => m)).toBe(lease.value);
    lease.release();
    await runtime.close();
  });
});
