import type { Readable } from 'node:stream';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { PlumbError } from '../core/errors.js';

/**
 * Protocol buffers, and so ONNX files without external data, stop at 2 GiB; a larger file
 * cannot be a loadable model, so it is refused before a byte is read.
 */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** How much of a file is looked at before deciding whether it can be an ONNX model. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * Top-level ModelProto fields (onnx.proto, IR 11) and their wire types. Serializers write fields
 * in number order, so a model normally starts with ir_version (tag 0x08), but the format does
 * not promise it; what is checked is that the first bytes parse as ModelProto fields.
 */
const MODEL_FIELDS = new Map<number, WireType>([
  [1, WireType.Varint], // ir_version
  [2, WireType.LengthDelimited], // producer_name
  [3, WireType.LengthDelimited], // producer_version
  [4, WireType.LengthDelimited], // domain
  [5, WireType.Varint], // model_version
  [6, WireType.LengthDelimited], // doc_string
  [7, WireType.LengthDelimited], // graph
  [8, WireType.LengthDelimited], // opset_import
  [14, WireType.LengthDelimited], // metadata_props
  [20, WireType.LengthDelimited], // training_info
  [25, WireType.LengthDelimited], // functions
  [26, WireType.LengthDelimited], // configuration
]);

/**
 * Why the first bytes of a file of `size` bytes cannot start an ONNX ModelProto, or null when
 * they can. Every field in `prefix` must have a valid tag, fields ONNX defines must have their
 * wire type, a length must not run past the end of the file, and the first field must be one
 * ModelProto has. The checker requires ir_version, and every protobuf serializer writes fields
 * in number order, so it must come (with a plausible value) before the first field that runs
 * past the prefix, usually the graph. Fields of later IR versions are let through.
 */
export function notOnnxReason(prefix: Uint8Array, size: number): string | null {
  if (size === 0) return 'the file is empty';
  const reader = new BinaryReader(prefix);
  let fields = 0;
  let irVersion = false;
  const noIrVersion = 'no ir_version (field 1) before the graph';
  // A prefix cut inside the first field says nothing yet.
  const cut = () => (irVersion || fields <= 1 ? null : noIrVersion);
  while (reader.pos < prefix.length) {
    let fieldNo: number;
    let wireType: WireType;
    try {
      [fieldNo, wireType] = reader.tag();
    } catch (error) {
      if (isTruncated(error, prefix, size)) return cut();
      return `byte ${reader.pos} is not a protobuf field tag`;
    }
    const expected = MODEL_FIELDS.get(fieldNo);
    if (fields === 0 && expected === undefined) {
      return `it starts with protobuf field ${fieldNo}, which ModelProto does not have`;
    }
    if (expected !== undefined && expected !== wireType) {
      return `field ${fieldNo} has wire type ${wireType}, ModelProto's has ${expected}`;
    }
    if (wireType === WireType.StartGroup || wireType === WireType.EndGroup) {
      return `field ${fieldNo} is a protobuf group, which ONNX never uses`;
    }
    fields++;
    if (wireType === WireType.LengthDelimited) {
      let length: number;
      try {
        length = reader.uint32();
      } catch (error) {
        if (isTruncated(error, prefix, size)) return cut();
        return `field ${fieldNo} has a malformed length`;
      }
      if (reader.pos + length > size) {
        return `field ${fieldNo} claims ${length} bytes, past the end of the ${size}-byte file`;
      }
      if (reader.pos + length > prefix.length) return irVersion ? null : noIrVersion;
      reader.pos += length;
    } else if (fieldNo === 1) {
      let version: bigint;
      try {
        version = BigInt(reader.uint64());
      } catch (error) {
        if (isTruncated(error, prefix, size)) return cut();
        return 'ir_version is malformed';
      }
      // IR versions run from 1 to 11 today; a few hundred leaves room for decades.
      if (version < 1n || version > 1000n) return `ir_version ${version} is not an IR version`;
      irVersion = true;
    } else {
      try {
        reader.skip(wireType, fieldNo);
      } catch (error) {
        if (isTruncated(error, prefix, size)) return cut();
        return `field ${fieldNo} is malformed`;
      }
    }
  }
  return irVersion ? null : noIrVersion;
}

/** A field cut by the end of the prefix (the reader's RangeError), not by the end of the file. */
function isTruncated(error: unknown, prefix: Uint8Array, size: number): boolean {
  return error instanceof RangeError && prefix.length < size;
}

/**
 * Reads an ONNX file into one buffer of its exact size, refusing early what cannot be a model:
 * a size over `maxBytes` before reading, and bytes that do not start a ModelProto after the first
 * SNIFF_BYTES (the rest of the file is then never read). `what` names the file in errors.
 */
export async function readOnnxFile(
  open: () => Promise<Readable>,
  size: number,
  options: { what: string; maxBytes?: number },
): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? MAX_MODEL_BYTES;
  if (size > maxBytes) {
    throw new PlumbError(
      'invalid_argument',
      `${options.what} is ${size} bytes; model files are limited to ${maxBytes} bytes` +
        (maxBytes === MAX_MODEL_BYTES ? ' (2 GiB, the protobuf limit of ONNX files)' : ''),
      { details: { size, maxBytes } },
    );
  }
  const stream = await open();
  const out = Buffer.allocUnsafe(size);
  let filled = 0;
  let sniffed = false;
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      if (filled + chunk.length > size) {
        throw new PlumbError(
          'failed_precondition',
          `${options.what} is longer than its recorded size ${size}`,
        );
      }
      out.set(chunk, filled);
      filled += chunk.length;
      if (!sniffed && filled >= Math.min(SNIFF_BYTES, size)) {
        sniffed = true;
        const reason = notOnnxReason(out.subarray(0, filled), size);
        if (reason !== null) {
          throw new PlumbError(
            'invalid_argument',
            `${options.what} is not a loadable ONNX model: its first bytes are not a ModelProto (${reason})`,
            {
              details: { size },
            },
          );
        }
      }
    }
  } finally {
    // Ends the read when it stopped early; a no-op on a stream that ended.
    stream.destroy();
  }
  if (filled !== size) {
    throw new PlumbError(
      'failed_precondition',
      `${options.what} has ${filled} bytes, not its recorded ${size}`,
    );
  }
  return out;
}
