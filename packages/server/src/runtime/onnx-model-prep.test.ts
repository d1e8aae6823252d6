import { BinaryReader } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { attr, encodeOnnxModel } from '../testing/onnx-writer.js';
import { OnnxModel } from './onnx-model.js';
import { prepareOnnxModel } from './onnx-model-prep.js';

/** Top-level fields as [number, exact bytes], read with the library's wire reader. */
function fields(bytes: Uint8Array): [number, string][] {
  const r = new BinaryReader(bytes);
  const out: [number, string][] = [];
  while (r.pos < bytes.length) {
    const start = r.pos;
    const [no, wt] = r.tag();
    r.skip(wt, no);
    out.push([no, Buffer.from(bytes.subarray(start, r.pos)).toString('hex')]);
  }
  return out;
}

// A scikit-learn-shaped classifier: weights as an initializer, probabilities behind a ZipMap
// with integer labels, plus fields the runtime does not read (producer version, doc strings,
// metadata, a model version).
const model = encodeOnnxModel({
  opsets: { '': 17, 'ai.onnx.ml': 3 },
  producerName: 'skl2onnx',
  producerVersion: '1.17.0',
  docString: 'kept as it was',
  metadata: { owner: 'risk-team' },
  graph: {
    name: 'linear',
    initializers: [{ name: 'w', type: 'float', dims: [2, 3], values: [1, 0, -1, 0.5, 2, 0] }],
    nodes: [
      { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['logits'] },
      { opType: 'Softmax', inputs: ['logits'], outputs: ['p'], attributes: [attr.int('axis', 1)] },
      {
        opType: 'ZipMap',
        domain: 'ai.onnx.ml',
        name: 'zip',
        inputs: ['p'],
        outputs: ['output_probability'],
        attributes: [attr.ints('classlabels_int64s', [7, -2, 40])],
      },
    ],
    inputs: [{ name: 'x', type: { tensor: 'float', shape: ['N', 2] } }],
    outputs: [
      {
        name: 'output_probability',
        type: { sequence: { map: { key: 'int64', value: { tensor: 'float' } } } },
      },
    ],
  },
});

describe('preparing an ONNX model for onnxruntime-node', () => {
  it('turns a ZipMap graph output into the [N, C] tensor and takes its labels', async () => {
    const prepared = prepareOnnxModel(model);
    expect(prepared.classes).toEqual([7, -2, 40]);
    expect(prepared.unwrappedOutputs).toEqual(['output_probability']);
    expect(prepared.metadata).toEqual({ owner: 'risk-team' });

    const loaded = await OnnxModel.load(model);
    try {
      expect(loaded.signature.outputs).toEqual([
        { name: 'output_probability', kind: 'tensor', elementType: 'float32', shape: [expect.anything(), 3] },
      ]);
      // x = [1, 1]: logits = [1.5, 2, -1]; softmax by hand.
      const out = await loaded.classify(Float32Array.from([1, 1]), 1);
      const e = [Math.exp(1.5), Math.exp(2), Math.exp(-1)];
      const sum = e[0]! + e[1]! + e[2]!;
      for (const [i, p] of out.probabilities[0]!.entries()) expect(p).toBeCloseTo(e[i]! / sum, 6);
      expect(out.labels).toEqual([-2]);
    } finally {
      await loaded.close();
    }
  });

  it('writes every field it does not rewrite back byte for byte', () => {
    // Fields the library does not know are written after those it knows; protobuf readers do
    // not care about the order of different fields, only that of repeats of one field.
    const byNumber = (f: [number, string][]) => [...f].sort((a, b) => a[0] - b[0]);
    const before = byNumber(fields(model));
    const after = byNumber(fields(prepareOnnxModel(model).bytes));
    // Everything but the graph (field 7) is unchanged.
    expect(after.filter(([no]) => no !== 7)).toEqual(before.filter(([no]) => no !== 7));
    const graph = (bytes: Uint8Array) => {
      const r = new BinaryReader(bytes);
      for (;;) {
        const [no, wt] = r.tag();
        if (no === 7) return fields(r.bytes());
        r.skip(wt, no);
      }
    };
    const g0 = graph(model);
    const g1 = graph(prepareOnnxModel(model).bytes);
    // The name (2), initializer (5) and input (11) are copied; nodes (1) and the output (12) are
    // the only fields that change.
    for (const no of [2, 5, 11]) expect(g1.filter(([n]) => n === no)).toEqual(g0.filter(([n]) => n === no));
    expect(g1.filter(([n]) => n === 1)).toHaveLength(3);
    expect(g1.filter(([n]) => n === 1).slice(0, 2)).toEqual(g0.filter(([n]) => n === 1).slice(0, 2));
  });

  it('leaves a model without a ZipMap output untouched', () => {
    const plain = encodeOnnxModel({
      opsets: { '': 17 },
      graph: {
        name: 'g',
        initializers: [],
        nodes: [{ opType: 'Softmax', inputs: ['x'], outputs: ['p'], attributes: [attr.int('axis', 1)] }],
        inputs: [{ name: 'x', type: { tensor: 'float', shape: ['N', 2] } }],
        outputs: [{ name: 'p', type: { tensor: 'float', shape: ['N', 2] } }],
      },
    });
    const prepared = prepareOnnxModel(plain);
    expect(prepared.bytes).toBe(plain);
    expect(prepared.classes).toBeNull();
  });
});
