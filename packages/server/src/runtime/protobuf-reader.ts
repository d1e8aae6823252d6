import { WireType } from './protobuf-writer.js';

/** One field as it appears on the wire, with the exact bytes it occupied. */
export interface ProtoField {
  field: number;
  wireType: number;
  /** Varints as bigint, fixed32/fixed64 as their raw bytes, length-delimited as the payload. */
  value: bigint | Uint8Array;
  /** The whole field, tag included, so an unchanged field can be copied into a rewritten message. */
  encoded: Uint8Array;
}

const decoder = new TextDecoder();

/**
 * Splits a protobuf message into its top-level fields without knowing its schema. Callers
 * decode only the fields they need and copy the rest unchanged, so a rewrite never loses data
 * this reader does not understand.
 */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= bytes.length) throw new RangeError('truncated protobuf varint');
      const b = bytes[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new RangeError('protobuf varint longer than 10 bytes');
    }
  };
  while (pos < bytes.length) {
    const start = pos;
    const key = Number(varint());
    const field = key >>> 3;
    const wireType = key & 7;
    let value: bigint | Uint8Array;
    if (wireType === WireType.varint) value = varint();
    else if (wireType === WireType.fixed64 || wireType === WireType.fixed32) {
      const n = wireType === WireType.fixed64 ? 8 : 4;
      if (pos + n > bytes.length) throw new RangeError('truncated protobuf fixed-width field');
      value = bytes.subarray(pos, pos + n);
      pos += n;
    } else if (wireType === WireType.lengthDelimited) {
      const length = Number(varint());
      if (pos + length > bytes.length) throw new RangeError('truncated protobuf length-delimited field');
      value = bytes.subarray(pos, pos + length);
      pos += length;
    } else {
      throw new RangeError(`unsupported protobuf wire type ${wireType}`);
    }
    fields.push({ field, wireType, value, encoded: bytes.subarray(start, pos) });
  }
  return fields;
}

export function fieldString(f: ProtoField): string {
  if (!(f.value instanceof Uint8Array)) throw new TypeError(`field ${f.field} is not length-delimited`);
  return decoder.decode(f.value);
}

/** A repeated varint field's values, whether written packed or one per tag. */
export function fieldVarints(fields: ProtoField[], field: number): bigint[] {
  const out: bigint[] = [];
  for (const f of fields) {
    if (f.field !== field) continue;
    if (typeof f.value === 'bigint') out.push(f.value);
    else {
      // Packed: the payload is a run of varints with no tags between them.
      let pos = 0;
      const bytes = f.value;
      while (pos < bytes.length) {
        let result = 0n;
        let shift = 0n;
        for (;;) {
          const b = bytes[pos++]!;
          result |= BigInt(b & 0x7f) << shift;
          if ((b & 0x80) === 0) break;
          shift += 7n;
        }
        out.push(result);
      }
    }
  }
  return out;
}

/** Reads an int64 varint as a signed number. */
export function toSigned(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}
