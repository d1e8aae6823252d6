import {
  attr,
  encodeOnnxModel,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxValueInfo,
} from './onnx-writer.js';

/** A split sends a row to `ifTrue` when `features[feature] <= threshold` (mode BRANCH_LEQ). */
export type TreeNode =
  | { feature: number; threshold: number; ifTrue: TreeNode; ifFalse: TreeNode }
  /** Weights added to the listed classes' scores (by class index); unlisted classes get nothing. */
  | { leaf: Partial<Record<number, number>> };

export type PostTransform = 'NONE' | 'SOFTMAX' | 'LOGISTIC' | 'SOFTMAX_ZERO' | 'PROBIT';

export interface TreeEnsembleSpec {
  trees: TreeNode[];
  classes: readonly string[] | readonly number[];
  featureCount: number;
  postTransform?: PostTransform;
  /** Wrap the scores in the ONNX-ML ZipMap (one map per row), as scikit-learn exporters do by default. */
  zipMap?: boolean;
}

/**
 * Exports a tree ensemble as an ONNX-ML `TreeEnsembleClassifier` (domain `ai.onnx.ml`) reading
 * `features` [N, featureCount], with a `label` output and a `probabilities` output: a [N, C]
 * tensor, or with `zipMap` a sequence of class → probability maps.
 */
export function exportTreeEnsembleClassifier(spec: TreeEnsembleSpec): Uint8Array {
  const numericClasses = typeof spec.classes[0] === 'number';
  const labelType = numericClasses ? 'int64' : 'string';
  const nodes = [treeEnsembleNode(spec, 'features', ['label', spec.zipMap ? 'scores' : 'probabilities'])];
  let probabilities: OnnxValueInfo = {
    name: 'probabilities',
    type: { tensor: 'float', shape: ['N', spec.classes.length] },
  };
  if (spec.zipMap) {
    nodes.push({
      opType: 'ZipMap',
      domain: 'ai.onnx.ml',
      inputs: ['scores'],
      outputs: ['probabilities'],
      attributes: [classLabels(spec.classes)],
    });
    probabilities = {
      name: 'probabilities',
      type: { sequence: { map: { key: labelType, value: { tensor: 'float' } } } },
    };
  }
  return encodeOnnxModel({
    opsets: TREE_OPSETS,
    graph: {
      name: 'tree_ensemble_classifier',
      nodes,
      initializers: [],
      inputs: [{ name: 'features', type: { tensor: 'float', shape: ['N', spec.featureCount] } }],
      outputs: [{ name: 'label', type: { tensor: labelType, shape: ['N'] } }, probabilities],
    },
  });
}

/** `ai.onnx.ml` 3 has TreeEnsembleClassifier with float attributes; later sets deprecate it. */
export const TREE_OPSETS = { '': 17, 'ai.onnx.ml': 3 };

/** The classifier node alone: `[label, scores]` from `input`, for composing larger graphs. */
export function treeEnsembleNode(
  spec: Omit<TreeEnsembleSpec, 'zipMap' | 'featureCount'>,
  input: string,
  outputs: [string, string],
): OnnxNode {
  const n: Record<string, number[]> = {
    treeIds: [],
    nodeIds: [],
    featureIds: [],
    values: [],
    trueIds: [],
    falseIds: [],
    classTreeIds: [],
    classNodeIds: [],
    classIds: [],
    classWeights: [],
  };
  const modes: string[] = [];
  spec.trees.forEach((tree, treeId) => {
    let nextId = 0;
    const visit = (node: TreeNode): number => {
      const id = nextId++;
      const index = n.treeIds!.length;
      n.treeIds!.push(treeId);
      n.nodeIds!.push(id);
      if ('leaf' in node) {
        modes.push('LEAF');
        n.featureIds!.push(0);
        n.values!.push(0);
        n.trueIds!.push(0);
        n.falseIds!.push(0);
        for (const [classIndex, weight] of Object.entries(node.leaf)) {
          n.classTreeIds!.push(treeId);
          n.classNodeIds!.push(id);
          n.classIds!.push(Number(classIndex));
          n.classWeights!.push(weight!);
        }
        return id;
      }
      modes.push('BRANCH_LEQ');
      n.featureIds!.push(node.feature);
      n.values!.push(node.threshold);
      n.trueIds!.push(0);
      n.falseIds!.push(0);
      n.trueIds![index] = visit(node.ifTrue);
      n.falseIds![index] = visit(node.ifFalse);
      return id;
    };
    visit(tree);
  });

  return {
    opType: 'TreeEnsembleClassifier',
    domain: 'ai.onnx.ml',
    inputs: [input],
    outputs,
    attributes: [
      attr.ints('nodes_treeids', n.treeIds!),
      attr.ints('nodes_nodeids', n.nodeIds!),
      attr.ints('nodes_featureids', n.featureIds!),
      attr.strings('nodes_modes', modes),
      attr.floats('nodes_values', n.values!),
      attr.ints('nodes_truenodeids', n.trueIds!),
      attr.ints('nodes_falsenodeids', n.falseIds!),
      attr.ints('class_treeids', n.classTreeIds!),
      attr.ints('class_nodeids', n.classNodeIds!),
      attr.ints('class_ids', n.classIds!),
      attr.floats('class_weights', n.classWeights!),
      classLabels(spec.classes),
      attr.string('post_transform', spec.postTransform ?? 'NONE'),
    ],
  };
}

function classLabels(classes: readonly string[] | readonly number[]): OnnxAttribute {
  return typeof classes[0] === 'number'
    ? attr.ints('classlabels_int64s', classes as readonly number[])
    : attr.strings('classlabels_strings', classes as readonly string[]);
}
