import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { attr, encodeOnnxModel } from '../testing/onnx-writer.js';
import {
  exportTreeEnsembleClassifier,
  TREE_OPSETS,
  treeEnsembleNode,
} from '../testing/tree-ensemble-onnx.js';
import { OnnxModel } from './onnx-model.js';

async function classify(bytes: Uint8Array, features: number[], rows: number, classes?: (string | number)[]) {
  const model = await OnnxModel.load(bytes, classes ? { classes } : {});
  try {
    return { model, out: await model.classify(Float32Array.from(features), rows) };
  } finally {
    await model.close();
  }
}

/** onnxruntime's own outputs, to show what the runtime corrects. */
async function raw(bytes: Uint8Array, features: number[], fetches?: string[]) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { features: new ort.Tensor('float32', Float32Array.from(features), [features.length, 1]) };
    return fetches ? await session.run(feeds, fetches) : await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('classifier outputs in one shape', () => {
  // Three classes on one feature: x <= 0 → mostly "sun", 0 < x <= 10 → "rain", else "snow".
  const weatherTree = {
    featureCount: 1,
    classes: ['rain', 'snow', 'sun'],
    trees: [
      {
        feature: 0,
        threshold: 0,
        ifTrue: { leaf: { 0: 0.1, 2: 0.9 } },
        ifFalse: {
          feature: 0,
          threshold: 10,
          ifTrue: { leaf: { 0: 0.7, 1: 0.2, 2: 0.1 } },
          ifFalse: { leaf: { 0: 0.25, 1: 0.75 } },
        },
      },
    ],
  };

  it('reads a ZipMap (sequence of maps) output, which onnxruntime-node cannot return itself', async () => {
    const bytes = exportTreeEnsembleClassifier({ ...weatherTree, zipMap: true });
    await expect(raw(bytes, [0])).rejects.toThrow(/Non tensor type/);

    const { model, out } = await classify(bytes, [-5, 3, 20], 3);
    expect(model.signature.outputs).toEqual([
      { name: 'label', kind: 'tensor', elementType: 'string', shape: ['N'] },
      { name: 'probabilities', kind: 'tensor', elementType: 'float32', shape: ['N', 3] },
    ]);
    expect(out.classes).toEqual(['rain', 'snow', 'sun']);
    expect(out.labels).toEqual(['sun', 'rain', 'snow']);
    expect(out.probabilities.map((row) => row.map((p) => Number(p.toFixed(6))))).toEqual([
      [0.1, 0, 0.9],
      [0.7, 0.2, 0.1],
      [0.25, 0.75, 0],
    ]);
  });

  it('reads a label tensor plus a probability tensor, with integer classes', async () => {
    const bytes = exportTreeEnsembleClassifier({ ...weatherTree, classes: [10, 20, 30] });
    const { out } = await classify(bytes, [-5, 3, 20], 3);
    expect(out.classes).toEqual([10, 20, 30]);
    expect(out.labels).toEqual([30, 10, 20]);
    expect(out.probabilities).toHaveLength(3);
  });

  it('derives labels from the probabilities when the label output deliberately disagrees', async () => {
    // Probabilities from one ensemble, the label output from another that votes the other way,
    // plus an exact 0.5 / 0.5 tie for x = 5.
    const probabilityTree = {
      classes: [0, 1],
      trees: [
        {
          feature: 0,
          threshold: 0,
          ifTrue: { leaf: { 0: 0.8, 1: 0.2 } },
          ifFalse: {
            feature: 0,
            threshold: 5,
            ifTrue: { leaf: { 0: 0.5, 1: 0.5 } },
            ifFalse: { leaf: { 0: 0.3, 1: 0.7 } },
          },
        },
      ],
    };
    const labelTree = {
      classes: [0, 1],
      trees: [
        { feature: 0, threshold: 0, ifTrue: { leaf: { 0: 0, 1: 1 } }, ifFalse: { leaf: { 0: 1, 1: 0 } } },
      ],
    };
    const bytes = encodeOnnxModel({
      opsets: TREE_OPSETS,
      graph: {
        name: 'inconsistent',
        nodes: [
          treeEnsembleNode(probabilityTree, 'features', ['unused_label', 'probabilities']),
          treeEnsembleNode(labelTree, 'features', ['label', 'unused_scores']),
        ],
        initializers: [],
        inputs: [{ name: 'features', type: { tensor: 'float', shape: ['N', 1] } }],
        outputs: [
          { name: 'label', type: { tensor: 'int64', shape: ['N'] } },
          { name: 'probabilities', type: { tensor: 'float', shape: ['N', 2] } },
        ],
      },
    });
    const features = [-1, 5, 9];
    const modelLabels = [...((await raw(bytes, features)).label!.data as BigInt64Array)].map(Number);
    expect(modelLabels).toEqual([1, 0, 0]);

    const { out } = await classify(bytes, features, 3);
    expect(out.labels).toEqual([0, 0, 1]);
    expect(out.probabilities.map((row) => row.map((p) => Number(p.toFixed(6))))).toEqual([
      [0.8, 0.2],
      [0.5, 0.5],
      [0.3, 0.7],
    ]);
  });

  it("follows the probabilities where onnxruntime's own two-class label disagrees with them", async () => {
    // A plain two-class ensemble: onnxruntime labels every row class 1, the 0.8 / 0.2 row and
    // the exact 0.5 / 0.5 tie included.
    const bytes = exportTreeEnsembleClassifier({
      featureCount: 1,
      classes: [0, 1],
      trees: [
        {
          feature: 0,
          threshold: 0,
          ifTrue: { leaf: { 0: 0.2, 1: 0.8 } },
          ifFalse: {
            feature: 0,
            threshold: 1,
            ifTrue: { leaf: { 0: 0.8, 1: 0.2 } },
            ifFalse: { leaf: { 0: 0.5, 1: 0.5 } },
          },
        },
      ],
    });
    const features = [0, 1, 2];
    expect([...((await raw(bytes, features)).label!.data as BigInt64Array)].map(Number)).toEqual([1, 1, 1]);
    const { out } = await classify(bytes, features, 3);
    expect(out.labels).toEqual([1, 0, 0]);
  });

  it('follows the returned scores where the single-score two-class threshold disagrees with them', async () => {
    // A single-score two-class ensemble (weights on class 1 only), post_transform NONE:
    // onnxruntime labels class 1 only when the score exceeds 0.5, yet returns [0, score].
    const bytes = exportTreeEnsembleClassifier({
      featureCount: 1,
      classes: [0, 1],
      trees: [
        {
          feature: 0,
          threshold: 0,
          ifTrue: { leaf: { 1: 0.3 } },
          ifFalse: { feature: 0, threshold: 1, ifTrue: { leaf: { 1: 0.5 } }, ifFalse: { leaf: { 1: 0.7 } } },
        },
      ],
    });
    const features = [0, 1, 2];
    const original = await raw(bytes, features);
    expect([...(original.label!.data as BigInt64Array)].map(Number)).toEqual([0, 0, 1]);
    const { out } = await classify(bytes, features, 3);
    expect(out.probabilities.map((row) => row.map((p) => Number(p.toFixed(6))))).toEqual([
      [0, 0.3],
      [0, 0.5],
      [0, 0.7],
    ]);
    expect(out.labels).toEqual([1, 1, 1]);
  });

  it('reads a single probability column as the positive class of a binary model', async () => {
    const bytes = encodeOnnxModel({
      opsets: { '': 17 },
      metadata: { classes: '["no","yes"]' },
      graph: {
        name: 'sigmoid',
        nodes: [{ opType: 'Sigmoid', inputs: ['features'], outputs: ['probability'] }],
        initializers: [],
        inputs: [{ name: 'features', type: { tensor: 'float', shape: ['N', 1] } }],
        outputs: [{ name: 'probability', type: { tensor: 'float', shape: ['N', 1] } }],
      },
    });
    const { out } = await classify(bytes, [-2, 0, 2], 3);
    expect(out.classes).toEqual(['no', 'yes']);
    expect(out.labels).toEqual(['no', 'no', 'yes']);
    expect(out.probabilities[2]![1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(out.probabilities[0]![0]! + out.probabilities[0]![1]!).toBeCloseTo(1, 6);
  });

  it('takes classes from the caller over the model, and checks their count', async () => {
    const bytes = exportTreeEnsembleClassifier(weatherTree);
    expect((await classify(bytes, [-5], 1, ['r', 'sn', 'su'])).out.labels).toEqual(['su']);
    await expect(classify(bytes, [-5], 1, ['a', 'b'])).rejects.toMatchObject({ code: 'failed_precondition' });
  });

  it('refuses models without a probability output, and inputs of the wrong width', async () => {
    const labelsOnly = encodeOnnxModel({
      opsets: { '': 17 },
      graph: {
        name: 'argmax',
        nodes: [
          {
            opType: 'ArgMax',
            inputs: ['features'],
            outputs: ['label'],
            attributes: [attr.int('axis', 1)],
          },
        ],
        initializers: [],
        inputs: [{ name: 'features', type: { tensor: 'float', shape: ['N', 3] } }],
        outputs: [{ name: 'label', type: { tensor: 'int64', shape: ['N', 1] } }],
      },
    });
    await expect(classify(labelsOnly, [1, 2, 3], 1)).rejects.toMatchObject({ code: 'failed_precondition' });
    await expect(classify(labelsOnly, [1, 2, 3, 4], 1)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(OnnxModel.load(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});
