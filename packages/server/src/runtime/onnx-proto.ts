import {
  create,
  createFileRegistry,
  type DescMessage,
  type Message,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import {
  type DescriptorProtoSchema,
  FileDescriptorProtoSchema,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
} from '@bufbuild/protobuf/wkt';

/*
 * The part of onnx/onnx.proto (proto2, package `onnx`) that the runtime reads or rewrites,
 * described with @bufbuild/protobuf's runtime descriptors: onnx.proto cannot be fetched at build
 * time, so there is no generated code. Field numbers and types are those of onnx.proto (IR 10).
 * Every field left out is kept by the parser as an unknown field and written back unchanged, so
 * a rewritten model loses nothing (initializers, opsets, functions, training info, …).
 */

type FieldSpec = [name: string, number: number, type: Type, label?: Label, typeName?: string];

function message(name: string, fields: FieldSpec[]): MessageInitShape<typeof DescriptorProtoSchema> {
  return {
    name,
    field: fields.map(([fieldName, number, type, label = Label.OPTIONAL, typeName]) => ({
      name: fieldName,
      number,
      type,
      label,
      ...(typeName ? { typeName: `.onnx.${typeName}` } : {}),
    })),
  };
}

const { OPTIONAL, REPEATED } = Label;
const file = create(FileDescriptorProtoSchema, {
  name: 'onnx/onnx.proto',
  package: 'onnx',
  syntax: 'proto2',
  messageType: [
    message('ModelProto', [
      ['ir_version', 1, Type.INT64],
      ['producer_name', 2, Type.STRING],
      ['graph', 7, Type.MESSAGE, OPTIONAL, 'GraphProto'],
      ['opset_import', 8, Type.MESSAGE, REPEATED, 'OperatorSetIdProto'],
      ['metadata_props', 14, Type.MESSAGE, REPEATED, 'StringStringEntryProto'],
    ]),
    message('OperatorSetIdProto', [
      ['domain', 1, Type.STRING],
      ['version', 2, Type.INT64],
    ]),
    message('StringStringEntryProto', [
      ['key', 1, Type.STRING],
      ['value', 2, Type.STRING],
    ]),
    message('GraphProto', [
      ['node', 1, Type.MESSAGE, REPEATED, 'NodeProto'],
      ['output', 12, Type.MESSAGE, REPEATED, 'ValueInfoProto'],
    ]),
    message('NodeProto', [
      ['input', 1, Type.STRING, REPEATED],
      ['output', 2, Type.STRING, REPEATED],
      ['name', 3, Type.STRING],
      ['op_type', 4, Type.STRING],
      ['attribute', 5, Type.MESSAGE, REPEATED, 'AttributeProto'],
      ['domain', 7, Type.STRING],
    ]),
    message('AttributeProto', [
      ['name', 1, Type.STRING],
      ['ints', 8, Type.INT64, REPEATED],
      ['strings', 9, Type.BYTES, REPEATED],
    ]),
    message('ValueInfoProto', [
      ['name', 1, Type.STRING],
      ['type', 2, Type.MESSAGE, OPTIONAL, 'TypeProto'],
    ]),
    message('TypeProto', [['tensor_type', 1, Type.MESSAGE, OPTIONAL, 'TensorTypeProto']]),
    // TypeProto.Tensor in onnx.proto; nesting changes only the name, not the wire format.
    message('TensorTypeProto', [
      ['elem_type', 1, Type.INT32],
      ['shape', 2, Type.MESSAGE, OPTIONAL, 'TensorShapeProto'],
    ]),
    message('TensorShapeProto', [['dim', 1, Type.MESSAGE, REPEATED, 'DimensionProto']]),
    // TensorShapeProto.Dimension in onnx.proto.
    message('DimensionProto', [
      ['dim_value', 1, Type.INT64],
      ['dim_param', 2, Type.STRING],
    ]),
  ],
});

const registry = createFileRegistry(file, () => undefined);

function schema(name: string): DescMessage {
  const desc = registry.getMessage(`onnx.${name}`);
  if (!desc) throw new Error(`onnx.${name} is missing from the ONNX descriptors`);
  return desc;
}

export const ModelProtoSchema = schema('ModelProto');
export const NodeProtoSchema = schema('NodeProto');
export const TypeProtoSchema = schema('TypeProto');
export const GraphProtoSchema = schema('GraphProto');

/** ONNX TensorProto.DataType.FLOAT. */
export const ELEM_FLOAT = 1;

// The shapes fromBinary returns for the messages above (fields in lowerCamelCase).
export interface ModelProto extends Message {
  irVersion: bigint;
  producerName: string;
  graph?: GraphProto;
  opsetImport: (Message & { domain: string; version: bigint })[];
  metadataProps: (Message & { key: string; value: string })[];
}

export interface GraphProto extends Message {
  node: NodeProto[];
  output: ValueInfoProto[];
}

export interface NodeProto extends Message {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: AttributeProto[];
  domain: string;
}

export interface AttributeProto extends Message {
  name: string;
  ints: bigint[];
  strings: Uint8Array[];
}

export interface ValueInfoProto extends Message {
  name: string;
  type?: Message;
}
