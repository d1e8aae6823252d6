import { ProtoWriter } from './protobuf-writer.js';

// Field numbers and enum values below are those of onnx/onnx.proto3 (IR version 8).

export type OnnxElementType = 'float' | 'uint8' | 'int8' | 'int32' | 'int64' | 'string' | 'bool' | 'double';

export const ELEMENT_TYPE_CODES: Record<OnnxElementType, number> = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  double: 11,
};

export type OnnxType =
  /** Shape dims are sizes, symbolic names (`'N'`) or null for unknown; no shape means unknown rank. */
  | { tensor: OnnxElementType; shape?: (number | string | null)[] }
  | { sequence: OnnxType }
  | { map: { key: OnnxElementType; value: OnnxType } };

export interface OnnxValueInfo {
  name: string;
  type: OnnxType;
}

export interface OnnxTensor {
  name: string;
  type: OnnxElementType;
  dims: number[];
  values: ArrayLike<number> | readonly bigint[] | readonly string[];
}

export type OnnxAttribute =
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'tensor'; value: OnnxTensor }
  | { name: string; type: 'floats'; value: ArrayLike<number> }
  | { name: string; type: 'ints'; value: ArrayLike<number> }
  | { name: string; type: 'strings'; value: readonly string[] };

export interface OnnxNode {
  opType: string;
  /** Empty for the default `ai.onnx` domain; `ai.onnx.ml` for the classic ML operators. */
  domain?: string;
  name?: string;
  inputs: string[];
  outputs: string[];
  attributes?: OnnxAttribute[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModelSpec {
  /** Operator set version per domain, e.g. `{ '': 17, 'ai.onnx.ml': 3 }`. */
  opsets: Record<string, number>;
  graph: OnnxGraph;
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Free-form key/value pairs stored in the model (`metadata_props`). */
  metadata?: Record<string, string>;
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;

/**
 * Serializes a model to ONNX protobuf bytes: a hand-written encoder for the subset of
 * ModelProto that small exported models use (no subgraphs, no external data, no functions).
 */
export function encodeOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, spec.irVersion ?? 8);
  w.string(2, spec.producerName ?? 'plumb');
  if (spec.producerVersion) w.string(3, spec.producerVersion);
  if (spec.docString) w.string(6, spec.docString);
  w.message(7, (g) => writeGraph(g, spec.graph));
  for (const [domain, version] of Object.entries(spec.opsets)) {
    w.message(8, (o) => {
      if (domain !== '') o.string(1, domain);
      o.int(2, version);
    });
  }
  for (const [key, value] of Object.entries(spec.metadata ?? {})) {
    w.message(14, (e) => e.string(1, key).string(2, value));
  }
  return w.finish();
}

export function writeGraph(w: ProtoWriter, graph: OnnxGraph): void {
  for (const node of graph.nodes) w.message(1, (n) => writeNode(n, node));
  w.string(2, graph.name);
  for (const tensor of graph.initializers) w.message(5, (t) => writeTensor(t, tensor));
  for (const input of graph.inputs) w.message(11, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.message(12, (v) => writeValueInfo(v, output));
}

export function writeNode(w: ProtoWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  if (node.name) w.string(3, node.name);
  w.string(4, node.opType);
  for (const attribute of node.attributes ?? []) w.message(5, (a) => writeAttribute(a, attribute));
  if (node.domain) w.string(7, node.domain);
}

function writeAttribute(w: ProtoWriter, a: OnnxAttribute): void {
  w.string(1, a.name);
  switch (a.type) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, (t) => writeTensor(t, a.value));
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      break;
    case 'ints':
      w.packedVarints(8, a.value);
      break;
    case 'strings':
      for (const s of a.value) w.string(9, s);
      break;
  }
  w.int(20, ATTRIBUTE_TYPE[a.type]);
}

function writeTensor(w: ProtoWriter, t: OnnxTensor): void {
  w.packedVarints(1, t.dims);
  w.int(2, ELEMENT_TYPE_CODES[t.type]);
  w.string(8, t.name);
  const values = t.values;
  switch (t.type) {
    case 'float':
      w.packedFloats(4, values as ArrayLike<number>);
      break;
    case 'double':
      w.packedDoubles(10, values as ArrayLike<number>);
      break;
    case 'string':
      for (const s of values as readonly string[]) w.string(6, s);
      break;
    case 'int64':
      w.packedVarints(7, values as ArrayLike<number | bigint>);
      break;
    default:
      // int32, int8, uint8 and bool all travel in int32_data.
      w.packedVarints(5, values as ArrayLike<number>);
  }
}

export function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (t) => writeType(t, v.type));
}

function writeType(w: ProtoWriter, type: OnnxType): void {
  if ('tensor' in type) {
    w.message(1, (t) => {
      t.int(1, ELEMENT_TYPE_CODES[type.tensor]);
      const shape = type.shape;
      if (shape) {
        t.message(2, (s) => {
          for (const dim of shape) {
            s.message(1, (d) => {
              if (typeof dim === 'number') d.int(1, dim);
              else if (typeof dim === 'string') d.string(2, dim);
            });
          }
        });
      }
    });
  } else if ('sequence' in type) {
    w.message(4, (s) => s.message(1, (e) => writeType(e, type.sequence)));
  } else {
    w.message(5, (m) => {
      m.int(1, ELEMENT_TYPE_CODES[type.map.key]);
      m.message(2, (v) => writeType(v, type.map.value));
    });
  }
}

/** Shorthands for node attributes. */
export const attr = {
  int: (name: string, value: number): OnnxAttribute => ({ name, type: 'int', value }),
  float: (name: string, value: number): OnnxAttribute => ({ name, type: 'float', value }),
  string: (name: string, value: string): OnnxAttribute => ({ name, type: 'string', value }),
  ints: (name: string, value: ArrayLike<number>): OnnxAttribute => ({ name, type: 'ints', value }),
  floats: (name: string, value: ArrayLike<number>): OnnxAttribute => ({ name, type: 'floats', value }),
  strings: (name: string, value: readonly string[]): OnnxAttribute => ({ name, type: 'strings', value }),
};
