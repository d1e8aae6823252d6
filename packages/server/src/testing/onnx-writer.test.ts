import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { prepareOnnxModel } from './onnx-model-prep.js';
import { attr, encodeOnnxModel } from './onnx-writer.js';
import { fieldString, fieldVarints, readFields, toSigned } from './protobuf-reader.js';
import { ProtoWriter } from './protobuf-writer.js';
import { exportTreeEnsembleClassifier } from './tree-ensemble-onnx.js';

describe('protobuf wire format', () => {
  it('encodes the examples of the protobuf encoding guide', () => {
    // Field 1 = 150 is 08 96 01; field 2 = "testing" is 12 07 74 65 73 74 69 6e 67.
    expect([...new ProtoWriter().int(1, 150).finish()]).toEqual([0x08, 0x96, 0x01]);
    expect([...new ProtoWriter().string(2, 'testing').finish()]).toEqual([
      0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67,
    ]);
    // A negative int64 takes ten bytes: two's complement over 64 bits.
    expect([...new ProtoWriter().varint(-1).finish()]).toEqual([...Array(9).fill(0xff), 0x01]);
    // Packed repeated varints: 3, 270, 86942 → 22 06 03 8e 02 9e a7 05.
    expect([...new ProtoWriter().packedVarints(4, [3, 270, 86942]).finish()]).toEqual([
      0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05,
    ]);
  });

  it('reads back what it writes', () => {
    const bytes = new ProtoWriter()
      .int(1, -5)
      .string(2, 'héllo')
      .packedVarints(3, [1, 300])
      .int(3, 7)
      .float(4, 0.5)
      .message(5, (w) => w.string(1, 'inner'))
      .finish();
    const fields = readFields(bytes);
    expect(fields.map((f) => f.field)).toEqual([1, 2, 3, 3, 4, 5]);
    expect(toSigned(fields[0]!.value as bigint)).toBe(-5);
    expect(fieldString(fields[1]!)).toBe('héllo');
    expect(fieldVarints(fields, 3)).toEqual([1n, 300n, 7n]);
    expect(new DataView((fields[4]!.value as Uint8Array).slice().buffer).getFloat32(0, true)).toBe(0.5);
    expect(fieldString(readFields(fields[5]!.value as Uint8Array)[0]!)).toBe('inner');
    expect(Buffer.concat(fields.map((f) => f.encoded))).toEqual(Buffer.from(bytes));
    expect(() => readFields(bytes.subarray(0, bytes.length - 1))).toThrow(RangeError);
  });
});

describe('ONNX models written in TypeScript', () => {
  it('run in onnxruntime with the results computed by hand', async () => {
    const bytes = encodeOnnxModel({
      opsets: { '': 17 },
      graph: {
        name: 'linear_softmax',
        nodes: [
          { opType: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'] },
          { opType: 'Add', inputs: ['xw', 'b'], outputs: ['logits'] },
          { opType: 'Softmax', inputs: ['logits'], outputs: ['p'], attributes: [attr.int('axis', -1)] },
        ],
        initializers: [
          { name: 'w', type: 'float', dims: [2, 2], values: [1, -1, 2, 0] },
          { name: 'b', type: 'float', dims: [2], values: [0, 1] },
        ],
        inputs: [{ name: 'x', type: { tensor: 'float', shape: ['batch', 2] } }],
        outputs: [{ name: 'p', type: { tensor: 'float', shape: ['batch', 2] } }],
      },
    });
    const session = await ort.InferenceSession.create(bytes);
    try {
      expect(session.inputMetadata).toEqual([
        { name: 'x', isTensor: true, type: 'float32', shape: ['batch', 2] },
      ]);
      // x = [1, 1]: logits = [1 + 2 + 0, -1 + 0 + 1] = [3, 0].
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1]), [1, 2]) });
      const e = Math.exp(3);
      expect(out.p!.data[0]).toBeCloseTo(e / (e + 1), 6);
      expect(out.p!.data[1]).toBeCloseTo(1 / (e + 1), 6);
    } finally {
      await session.release();
    }
  });

  it('unwraps only ZipMap outputs and leaves other models byte for byte', () => {
    const plain = exportTreeEnsembleClassifier({
      featureCount: 1,
      classes: ['a', 'b'],
      trees: [{ leaf: { 0: 1 } }],
    });
    const prepared = prepareOnnxModel(plain);
    expect(prepared.bytes).toBe(plain);
    expect(prepared.classes).toEqual(['a', 'b']);
    expect(prepared.unwrappedOutputs).toEqual([]);

    const zipped = exportTreeEnsembleClassifier({
      featureCount: 1,
      classes: [3, -1],
      zipMap: true,
      trees: [{ leaf: { 0: 1 } }],
    });
    const unwrapped = prepareOnnxModel(zipped);
    expect(unwrapped.classes).toEqual([3, -1]);
    expect(unwrapped.unwrappedOutputs).toEqual(['probabilities']);
    const opTypes = (bytes: Uint8Array) => {
      const graph = readFields(readFields(bytes).find((f) => f.field === 7)!.value as Uint8Array);
      return graph
        .filter((f) => f.field === 1)
        .map((f) => fieldString(readFields(f.value as Uint8Array).find((n) => n.field === 4)!));
    };
    expect(opTypes(zipped)).toEqual(['TreeEnsembleClassifier', 'ZipMap']);
    expect(opTypes(unwrapped.bytes)).toEqual(['TreeEnsembleClassifier', 'Identity']);
  });
});
