import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { prepareOnnxModel } from '../runtime/onnx-model-prep.js';
import { type ModelProto, ModelProtoSchema } from '../runtime/onnx-proto.js';
import { attr, encodeOnnxModel } from './onnx-writer.js';
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

  it('writes what a conformance-tested protobuf reader reads back', () => {
    const bytes = new ProtoWriter()
      .int(1, -5)
      .string(2, 'héllo')
      .packedVarints(3, [1, 300])
      .int(3, 7)
      .float(4, 0.5)
      .message(5, (w) => w.string(1, 'inner'))
      .finish();
    const r = new BinaryReader(bytes);
    const next = () => r.tag();
    expect(next()).toEqual([1, WireType.Varint]);
    expect(r.int64()).toBe(-5n);
    expect(next()).toEqual([2, WireType.LengthDelimited]);
    expect(r.string()).toBe('héllo');
    expect(next()).toEqual([3, WireType.LengthDelimited]);
    const packed = new BinaryReader(r.bytes());
    expect([packed.uint64(), packed.uint64()]).toEqual([1n, 300n]);
    expect(next()).toEqual([3, WireType.Varint]);
    expect(r.int32()).toBe(7);
    expect(next()).toEqual([4, WireType.Bit32]);
    expect(r.float()).toBe(0.5);
    expect(next()).toEqual([5, WireType.LengthDelimited]);
    const inner = new BinaryReader(r.bytes());
    expect(inner.tag()).toEqual([1, WireType.LengthDelimited]);
    expect(inner.string()).toBe('inner');
    expect(r.pos).toBe(bytes.length);
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
    const opTypes = (bytes: Uint8Array) =>
      (fromBinary(ModelProtoSchema, bytes) as ModelProto).graph!.node.map((n) => n.opType);
    expect(opTypes(zipped)).toEqual(['TreeEnsembleClassifier', 'ZipMap']);
    expect(opTypes(unwrapped.bytes)).toEqual(['TreeEnsembleClassifier', 'Identity']);
  });
});
