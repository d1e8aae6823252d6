import { ByteReader, ByteWriter, SketchTag } from './bytes.js';
import { hashValue } from './hash.js';

// HyperLogLog (Flajolet et al. 2007) over a 64-bit XXH64 hash, with Ertl's improved estimator
// ("New cardinality estimation algorithms for HyperLogLog sketches", 2017, algorithm 6). Its σ term
// is the small-range correction (it converges to linear counting, m·ln(m/V), while many registers
// are empty) and its τ term the large-range one, so the estimate needs no bias tables or thresholds.

export const DEFAULT_HLL_PRECISION = 14;
const MIN_PRECISION = 4;
const MAX_PRECISION = 18;
const ALPHA_INF = 1 / (2 * Math.LN2);
const DENSE = 0;
const SPARSE = 1;

export interface HyperLogLogOptions {
  /** log2 of the register count, 4..18. Relative standard error is 1.04 / sqrt(2^precision). */
  precision?: number;
}

const hashOut = new Uint32Array(2);

/**
 * Distinct-count sketch over strings, numbers and booleans (the number 1, the string "1" and `true`
 * are three values; -0 is 0; all NaNs are one value).
 *
 * Accuracy at the default precision 14: relative standard error 1.04/128 = 0.81%, so ≤ 2% at 10^6
 * distinct values with high probability (the tests observe ~0.5%); small counts are nearly exact.
 * Serialized size: registers are 6 bits, so the dense form is 12,292 bytes; while fewer than ~4,000
 * registers are set a sparse form (index delta + value) is written instead, whichever is shorter.
 * Merge takes register-wise maxima, so it is exact: merged sketches equal the sketch of the union,
 * in any order. Sketches of different precision merge at the lower precision.
 */
export class HyperLogLog {
  #p: number;
  #registers: Uint8Array;

  constructor(options: HyperLogLogOptions = {}) {
    const p = options.precision ?? DEFAULT_HLL_PRECISION;
    HyperLogLog.checkPrecision(p);
    this.#p = p;
    this.#registers = new Uint8Array(1 << p);
  }

  /** Throws the constructor's RangeError for a bad precision, without allocating registers. */
  static checkPrecision(p: number): void {
    if (!Number.isInteger(p) || p < MIN_PRECISION || p > MAX_PRECISION) {
      throw new RangeError(
        `HyperLogLog: precision must be an integer in [${MIN_PRECISION}, ${MAX_PRECISION}]`,
      );
    }
  }

  get precision(): number {
    return this.#p;
  }

  get isEmpty(): boolean {
    return this.#registers.every((r) => r === 0);
  }

  update(value: string | number | boolean): this {
    hashValue(value, hashOut);
    const hi = hashOut[0]!;
    const lo = hashOut[1]!;
    const p = this.#p;
    const index = hi >>> (32 - p);
    // rho = 1 + leading zeros of the 64 - p hash bits after the index.
    const rest = hi & ((1 << (32 - p)) - 1);
    const rho = rest !== 0 ? Math.clz32(rest) - p + 1 : lo !== 0 ? 33 - p + Math.clz32(lo) : 65 - p;
    if (rho > this.#registers[index]!) this.#registers[index] = rho;
    return this;
  }

  /** Adds `other` into this sketch (in place) and returns this. */
  merge(other: HyperLogLog): this {
    if (!(other instanceof HyperLogLog)) throw new TypeError('HyperLogLog: can only merge a HyperLogLog');
    if (other.#p < this.#p) {
      this.#registers = fold(this.#registers, this.#p, other.#p);
      this.#p = other.#p;
    }
    const src = other.#p > this.#p ? fold(other.#registers, other.#p, this.#p) : other.#registers;
    const dst = this.#registers;
    for (let i = 0; i < dst.length; i++) if (src[i]! > dst[i]!) dst[i] = src[i]!;
    return this;
  }

  /** Estimated number of distinct values (0 when empty). */
  estimate(): number {
    const p = this.#p;
    const m = 1 << p;
    const q = 64 - p;
    const hist = new Float64Array(q + 2);
    for (const r of this.#registers) hist[r]!++;
    let z = m * tau((m - hist[q + 1]!) / m);
    for (let k = q; k >= 1; k--) z = 0.5 * (z + hist[k]!);
    z += m * sigma(hist[0]! / m);
    return (ALPHA_INF * m * m) / z;
  }

  /**
   * Layout: version u8, tag u8, precision u8, encoding u8; dense (0): 2^p registers of 6 bits packed
   * little-endian, four registers per three bytes; sparse (1): count of set registers as a varint,
   * then per set register the index delta from the previous one (varint) and its value (u8).
   * The shorter encoding is always the one written, so bytes are canonical.
   */
  serialize(): Uint8Array {
    const regs = this.#registers;
    const { set, sparseLength, denseLength } = encodedLengths(regs);
    const w = new ByteWriter(4 + Math.min(denseLength, sparseLength))
      .header(SketchTag.hyperLogLog)
      .u8(this.#p);
    if (sparseLength < denseLength) {
      w.u8(SPARSE).varint(set);
      let prev = -1;
      for (let i = 0; i < regs.length; i++) {
        if (regs[i] === 0) continue;
        w.varint(i - prev).u8(regs[i]!);
        prev = i;
      }
    } else {
      w.u8(DENSE);
      const packed = new Uint8Array(denseLength);
      for (let i = 0, o = 0; i < regs.length; i += 4, o += 3) {
        const a = regs[i]!;
        const b = regs[i + 1]!;
        const c = regs[i + 2]!;
        const d = regs[i + 3]!;
        packed[o] = a | (b << 6);
        packed[o + 1] = (b >> 2) | (c << 4);
        packed[o + 2] = (c >> 4) | (d << 2);
      }
      w.bytes(packed);
    }
    return w.finish();
  }

  static deserialize(bytes: Uint8Array): HyperLogLog {
    const r = new ByteReader(bytes, 'HyperLogLog');
    r.header(SketchTag.hyperLogLog);
    const p = r.u8();
    if (p < MIN_PRECISION || p > MAX_PRECISION) r.fail(`precision ${p} out of range`);
    const sketch = new HyperLogLog({ precision: p });
    const regs = sketch.#registers;
    const maxRho = 65 - p;
    const encoding = r.u8();
    if (encoding === DENSE) {
      unpack(r.bytes((regs.length * 3) / 4), regs);
    } else if (encoding === SPARSE) {
      const set = r.varint();
      if (set > regs.length) r.fail(`${set} set registers exceed ${regs.length}`);
      let index = -1;
      for (let j = 0; j < set; j++) {
        const delta = r.varint();
        index += delta;
        const value = r.u8();
        if (delta === 0 || index >= regs.length || value === 0)
          r.fail('sparse registers out of order or range');
        regs[index] = value;
      }
    } else {
      r.fail(`unknown register encoding ${encoding}`);
    }
    r.end();
    const { sparseLength, denseLength, max } = encodedLengths(regs);
    if (max > maxRho) r.fail(`a register exceeds ${maxRho}`);
    // Anything else would re-serialize to different bytes than were stored.
    if (sparseLength < denseLength !== (encoding === SPARSE)) r.fail('register encoding is not canonical');
    return sketch;
  }
}

// Re-indexes registers to a lower precision: the dropped index bits become the first bits of the
// rank, so a register's value is exactly what the lower-precision sketch would have recorded.
function fold(regs: Uint8Array, from: number, to: number): Uint8Array {
  const d = from - to;
  const out = new Uint8Array(1 << to);
  const mask = (1 << d) - 1;
  for (let i = 0; i < regs.length; i++) {
    const v = regs[i]!;
    if (v === 0) continue;
    const extra = i & mask;
    const rho = extra !== 0 ? Math.clz32(extra) - (32 - d) + 1 : d + v;
    const j = i >>> d;
    if (rho > out[j]!) out[j] = rho;
  }
  return out;
}

function unpack(packed: Uint8Array, regs: Uint8Array): void {
  for (let i = 0, o = 0; i < regs.length; i += 4, o += 3) {
    const x = packed[o]!;
    const y = packed[o + 1]!;
    const z = packed[o + 2]!;
    regs[i] = x & 63;
    regs[i + 1] = (x >> 6) | ((y & 15) << 2);
    regs[i + 2] = (y >> 4) | ((z & 3) << 4);
    regs[i + 3] = z >> 2;
  }
}

function encodedLengths(regs: Uint8Array) {
  let max = 0;
  let set = 0;
  let sparseLength = 0;
  let prev = -1;
  for (let i = 0; i < regs.length; i++) {
    const v = regs[i]!;
    if (v === 0) continue;
    if (v > max) max = v;
    set++;
    sparseLength += i - prev < 0x80 ? 2 : varintLength(i - prev) + 1;
    prev = i;
  }
  return { set, max, sparseLength: sparseLength + varintLength(set), denseLength: (regs.length * 3) / 4 };
}

function sigma(x: number): number {
  if (x === 1) return Number.POSITIVE_INFINITY;
  let y = 1;
  let z = x;
  let prev: number;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (z !== prev);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let prev: number;
  do {
    x = Math.sqrt(x);
    prev = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
  } while (z !== prev);
  return z / 3;
}

function varintLength(v: number): number {
  let len = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    len++;
  }
  return len;
}
