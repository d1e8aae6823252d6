import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  ELEM_FLOAT,
  type GraphProto,
  type ModelProto,
  ModelProtoSchema,
  type NodeProto,
  NodeProtoSchema,
  TypeProtoSchema,
} from './onnx-proto.js';

export type ClassLabel = string | number;

export interface PreparedModel {
  /** The bytes to load: the input, or a rewrite of it when ZipMap outputs were unwrapped. */
  bytes: Uint8Array;
  /** Class labels in probability-column order, from ZipMap or a classifier operator; null if none. */
  classes: ClassLabel[] | null;
  /** The model's `metadata_props`. */
  metadata: Record<string, string>;
  /** Graph outputs that were ZipMap sequences of maps and are now [N, C] float tensors. */
  unwrappedOutputs: string[];
}

const ML_DOMAIN = 'ai.onnx.ml';
/** Operators whose class-label attributes give the order of their probability columns. */
const CLASSIFIERS = new Set(['TreeEnsembleClassifier', 'LinearClassifier', 'SVMClassifier', 'ZipMap']);
const decoder = new TextDecoder();

/**
 * Reads what the runtime needs from a model and makes it loadable by onnxruntime-node, which
 * returns tensors only: a ZipMap that produces a graph output (scikit-learn exporters add one
 * for probabilities) is replaced by an Identity of its input, so that output becomes the
 * [N, C] probability tensor the ZipMap was built from, under the same name. Every other field
 * of the model is written back unchanged. Parsing keeps large fields (initializers) as views
 * of `bytes`, so only a rewrite copies the model.
 */
export function prepareOnnxModel(bytes: Uint8Array): PreparedModel {
  const model = fromBinary(ModelProtoSchema, bytes) as ModelProto;
  const metadata: Record<string, string> = {};
  for (const entry of model.metadataProps) metadata[entry.key] = entry.value;
  const graph = model.graph;
  if (!graph) return { bytes, classes: null, metadata, unwrappedOutputs: [] };

  const outputNames = new Set(graph.output.map((o) => o.name));
  const isUnwrapped = (node: NodeProto): boolean =>
    node.opType === 'ZipMap' &&
    node.domain === ML_DOMAIN &&
    node.output.length === 1 &&
    node.input.length === 1 &&
    outputNames.has(node.output[0]!);

  const zipMaps = graph.node.filter(isUnwrapped);
  const classifier = graph.node.find((n) => CLASSIFIERS.has(n.opType) && classLabels(n) !== null);
  const classes = (zipMaps[0] && classLabels(zipMaps[0])) ?? (classifier ? classLabels(classifier) : null);
  if (zipMaps.length === 0) return { bytes, classes, metadata, unwrappedOutputs: [] };

  const widths = new Map(zipMaps.map((z) => [z.output[0]!, classLabels(z)?.length ?? null]));
  rewriteZipMaps(graph, isUnwrapped, widths);
  return {
    bytes: toBinary(ModelProtoSchema, model),
    classes,
    metadata,
    unwrappedOutputs: [...widths.keys()],
  };
}

function rewriteZipMaps(
  graph: GraphProto,
  isUnwrapped: (node: NodeProto) => boolean,
  widths: Map<string, number | null>,
): void {
  graph.node = graph.node.map((node) =>
    isUnwrapped(node)
      ? (create(NodeProtoSchema, {
          input: [node.input[0]!],
          output: [node.output[0]!],
          opType: 'Identity',
          ...(node.name ? { name: node.name } : {}),
        }) as NodeProto)
      : node,
  );
  for (const output of graph.output) {
    if (!widths.has(output.name)) continue;
    const width = widths.get(output.name) ?? null;
    // [N, C] float: the batch dimension stays unnamed, C is the number of classes when known.
    output.type = create(TypeProtoSchema, {
      tensorType: {
        elemType: ELEM_FLOAT,
        shape: { dim: [{}, width === null ? {} : { dimValue: BigInt(width) }] },
      },
    });
  }
}

/** The labels a classifier or ZipMap names, in the order of its probability columns. */
function classLabels(node: NodeProto): ClassLabel[] | null {
  for (const a of node.attribute) {
    // LinearClassifier and SVMClassifier say classlabels_ints; the others classlabels_int64s.
    if ((a.name === 'classlabels_int64s' || a.name === 'classlabels_ints') && a.ints.length > 0) {
      return a.ints.map((v) => Number(v));
    }
    if (a.name === 'classlabels_strings' && a.strings.length > 0) {
      return a.strings.map((s) => decoder.decode(s));
    }
  }
  return null;
}
