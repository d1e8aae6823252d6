// Binary framing shared by every sketch. Profiles live in database rows for years and are merged by
// whichever build runs the monitor, so the layout is fixed, little-endian, and validated on read:
// a bad row must fail loudly instead of merging garbage into a window.

/** Version of the layout written by `serialize()`; readers reject any other value in byte 0. */
export const SKETCH_FORMAT_VERSION = 1;

/** Byte 1 of every serialized sketch: which kind of sketch follows. */
export const SketchTag = {
  quantile: 1,
  hyperLogLog: 2,
  frequentItems: 3,
  columnProfile: 4,
} as const;
export type SketchTag = (typeof SketchTag)[keyof typeof SketchTag];

const TAG_NAMES: Record<number, string> = {
  1: 'QuantileSketch',
  2: 'HyperLogLog',
  3: 'FrequentItems',
  4: 'ColumnProfile',
};

/** Thrown by every `deserialize` on bytes it cannot read exactly. */
export class SketchFormatError extends Error {
  override readonly name = 'SketchFormatError';
}

const utf8Encoder = new TextEncoder();
// fatal: a corrupted string must not decode into replacement characters and pass as valid.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(initialCapacity);
    this.#view = new DataView(this.#buf.buffer);
  }

  #reserve(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  header(tag: SketchTag): this {
    return this.u8(SKETCH_FORMAT_VERSION).u8(tag);
  }

  u8(value: number): this {
    this.#reserve(1);
    this.#buf[this.#len++] = value & 0xff;
    return this;
  }

  u32(value: number): this {
    this.#reserve(4);
    this.#view.setUint32(this.#len, value >>> 0, true);
    this.#len += 4;
    return this;
  }

  f64(value: number): this {
    this.#reserve(8);
    this.#view.setFloat64(this.#len, value, true);
    this.#len += 8;
    return this;
  }

  /** Unsigned LEB128 for integers up to 2^53 - 1; division keeps it exact past 2^32. */
  varint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint out of range: ${value}`);
    this.#reserve(8);
    let v = value;
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.#len++] = v;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.#reserve(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
    return this;
  }

  /** Length-prefixed UTF-8. Lone surrogates become U+FFFD, as in every UTF-8 encoder. */
  string(value: string): this {
    const encoded = utf8Encoder.encode(value);
    return this.varint(encoded.length).bytes(encoded);
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  readonly #what: string;
  #pos = 0;

  constructor(bytes: Uint8Array, what: string) {
    if (!(bytes instanceof Uint8Array)) throw new SketchFormatError(`${what}: expected a Uint8Array`);
    this.#buf = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  fail(message: string): never {
    throw new SketchFormatError(`${this.#what}: ${message}`);
  }

  #need(n: number): void {
    if (this.#pos + n > this.#buf.length) this.fail(`truncated at byte ${this.#pos} (needs ${n} more)`);
  }

  /** Checks byte 0 (format version) and byte 1 (type tag). */
  header(tag: SketchTag): void {
    if (this.#buf.length < 2) this.fail('too short to hold a header');
    const version = this.u8();
    if (version !== SKETCH_FORMAT_VERSION) {
      this.fail(`unsupported format version ${version} (this build reads version ${SKETCH_FORMAT_VERSION})`);
    }
    const found = this.u8();
    if (found !== tag) {
      const name = TAG_NAMES[found];
      this.fail(name ? `bytes hold a ${name}, not a ${TAG_NAMES[tag]}` : `unknown type tag ${found}`);
    }
  }

  u8(): number {
    this.#need(1);
    return this.#buf[this.#pos++]!;
  }

  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  f64(): number {
    this.#need(8);
    const v = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return v;
  }

  /** Rejects non-minimal encodings so that every value has exactly one byte form. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) this.fail('non-minimal varint');
        if (!Number.isSafeInteger(value)) this.fail('varint exceeds 2^53');
        return value;
      }
      scale *= 0x80;
    }
    return this.fail('varint longer than 8 bytes');
  }

  bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  string(): string {
    const len = this.varint();
    const raw = this.bytes(len);
    try {
      return utf8Decoder.decode(raw);
    } catch {
      return this.fail('invalid UTF-8 in string');
    }
  }

  /** Every reader ends with this: trailing bytes mean the row is not what we think it is. */
  end(): void {
    if (this.remaining !== 0) this.fail(`${this.remaining} unexpected trailing bytes`);
  }
}
