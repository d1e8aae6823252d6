import { writeNode, writeValueInfo } from './onnx-writer.js';
import { fieldString, fieldVarints, type ProtoField, readFields, toSigned } from './protobuf-reader.js';
import { ProtoWriter } from './protobuf-writer.js';

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

// ONNX field numbers (onnx.proto3).
const MODEL = { graph: 7, metadataProps: 14 };
const GRAPH = { node: 1, output: 12 };
const NODE = { input: 1, output: 2, opType: 4, attribute: 5, domain: 7 };
const ATTRIBUTE = { name: 1, ints: 8, strings: 9 };
const ML_DOMAIN = 'ai.onnx.ml';
/** Operators whose class-label attributes give the order of their probability columns. */
const CLASSIFIERS = new Set(['TreeEnsembleClassifier', 'LinearClassifier', 'SVMClassifier', 'ZipMap']);

interface NodeInfo {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  classes: ClassLabel[] | null;
}

/**
 * Reads what the runtime needs from a model and makes it loadable by onnxruntime-node, which
 * returns tensors only: a ZipMap that produces a graph output (scikit-learn exporters add one
 * for probabilities) is replaced by an Identity of its input, so that output becomes the
 * [N, C] probability tensor the ZipMap was built from, under the same name. Every other byte of
 * the model is copied unchanged.
 */
export function prepareOnnxModel(bytes: Uint8Array): PreparedModel {
  const model = readFields(bytes);
  const metadata: Record<string, string> = {};
  for (const f of model) {
    if (f.field !== MODEL.metadataProps) continue;
    const entry = readFields(f.value as Uint8Array);
    const key = entry.find((e) => e.field === 1);
    const value = entry.find((e) => e.field === 2);
    if (key) metadata[fieldString(key)] = value ? fieldString(value) : '';
  }
  const graphField = model.find((f) => f.field === MODEL.graph);
  if (!graphField) return { bytes, classes: null, metadata, unwrappedOutputs: [] };

  const graph = readFields(graphField.value as Uint8Array);
  const outputNames = new Set(
    graph.filter((f) => f.field === GRAPH.output).map((f) => valueInfoName(f.value as Uint8Array)),
  );
  const nodes = graph.map((f) => (f.field === GRAPH.node ? readNode(f.value as Uint8Array) : null));
  const isUnwrapped = (node: NodeInfo | null): node is NodeInfo =>
    node !== null &&
    node.opType === 'ZipMap' &&
    node.domain === ML_DOMAIN &&
    node.outputs.length === 1 &&
    outputNames.has(node.outputs[0]!);

  const zipMaps = nodes.filter(isUnwrapped);
  const classifiers = nodes.filter(
    (n): n is NodeInfo => n !== null && CLASSIFIERS.has(n.opType) && n.classes !== null,
  );
  const classes = zipMaps[0]?.classes ?? classifiers[0]?.classes ?? null;
  if (zipMaps.length === 0) return { bytes, classes, metadata, unwrappedOutputs: [] };

  const unwrapped = new Set(zipMaps.map((z) => z.outputs[0]!));
  const newGraph = new ProtoWriter();
  graph.forEach((f, i) => {
    const node = nodes[i] ?? null;
    if (isUnwrapped(node)) {
      newGraph.message(GRAPH.node, (w) =>
        writeNode(w, { opType: 'Identity', inputs: [node.inputs[0]!], outputs: [node.outputs[0]!] }),
      );
    } else if (f.field === GRAPH.output && unwrapped.has(valueInfoName(f.value as Uint8Array))) {
      const name = valueInfoName(f.value as Uint8Array);
      const width = zipMaps.find((z) => z.outputs[0] === name)?.classes?.length ?? null;
      newGraph.message(GRAPH.output, (w) =>
        writeValueInfo(w, { name, type: { tensor: 'float', shape: [null, width] } }),
      );
    } else {
      newGraph.raw(f.encoded);
    }
  });
  const newModel = new ProtoWriter();
  for (const f of model) {
    if (f === graphField) newModel.bytes(MODEL.graph, newGraph.finish());
    else newModel.raw(f.encoded);
  }
  return { bytes: newModel.finish(), classes, metadata, unwrappedOutputs: [...unwrapped] };
}

function readNode(bytes: Uint8Array): NodeInfo {
  const fields = readFields(bytes);
  const strings = (field: number) => fields.filter((f) => f.field === field).map(fieldString);
  let classes: ClassLabel[] | null = null;
  for (const f of fields) {
    if (f.field !== NODE.attribute) continue;
    const attribute = readFields(f.value as Uint8Array);
    const nameField = attribute.find((a) => a.field === ATTRIBUTE.name);
    const name = nameField ? fieldString(nameField) : '';
    // LinearClassifier and SVMClassifier say classlabels_ints; the others classlabels_int64s.
    if (name === 'classlabels_int64s' || name === 'classlabels_ints') {
      classes = fieldVarints(attribute, ATTRIBUTE.ints).map(toSigned);
    } else if (name === 'classlabels_strings') {
      classes = attribute.filter((a) => a.field === ATTRIBUTE.strings).map(fieldString);
    }
  }
  return {
    opType: strings(NODE.opType)[0] ?? '',
    domain: strings(NODE.domain)[0] ?? '',
    inputs: strings(NODE.input),
    outputs: strings(NODE.output),
    classes: classes && classes.length > 0 ? classes : null,
  };
}

function valueInfoName(bytes: Uint8Array): string {
  const name = readFields(bytes).find((f: ProtoField) => f.field === 1);
  return name ? fieldString(name) : '';
}
