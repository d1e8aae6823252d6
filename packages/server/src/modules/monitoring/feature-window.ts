import { ColumnProfile, type ColumnProfileOptions, type SketchItem, Xoshiro128 } from '@plumb/stats';

/**
 * Window profiles use a smaller HyperLogLog (precision 11, 1.6 KB, 2.3% standard error on distinct
 * counts, which no drift test reads) and cut category strings at 64 units, so that a profile with
 * its numeric sketch (k = 400, ~9.6 KB), categories, frozen bins and reservoir stays under 16 KB.
 */
export const WINDOW_PROFILE_OPTIONS: ColumnProfileOptions = { hllPrecision: 11, maxItemLength: 64 };
/** Values kept per feature and window for the exact mode. */
export const RESERVOIR_SIZE = 64;
const RESERVOIR_STRING_LENGTH = 64;
export const MAX_WINDOW_PROFILE_BYTES = 16 * 1024;

/**
 * Bins frozen from a monitor's reference: either its categories (values outside them fall in a
 * last "other" bin) or inner edges of numeric bins closed on the left with open outer bins (as
 * `histogram`), followed by one bin for values that are not numbers. Nulls fall in no bin.
 */
export type BinSpec =
  | { id: string; kind: 'categories'; values: SketchItem[] }
  | { id: string; kind: 'edges'; edges: number[] };

export function binCount(spec: BinSpec): number {
  return spec.kind === 'categories' ? spec.values.length + 1 : spec.edges.length + 2;
}

export function itemKey(v: SketchItem): string {
  return typeof v === 'string' ? `s${v}` : typeof v === 'number' ? `n${v}` : `b${v}`;
}

/** Finds a value's bin quickly; one per spec, built once. */
export class BinIndex {
  readonly size: number;
  private readonly lookup: Map<string, number> | null;
  constructor(readonly spec: BinSpec) {
    this.size = binCount(spec);
    this.lookup = spec.kind === 'categories' ? new Map(spec.values.map((v, i) => [itemKey(v), i])) : null;
  }

  /** The bin of a non-null value. */
  binOf(value: SketchItem): number {
    if (this.lookup) return this.lookup.get(itemKey(value)) ?? this.size - 1;
    if (typeof value !== 'number') return this.size - 1;
    const edges = (this.spec as { edges: number[] }).edges;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid]! <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * One feature's profile over one window: the mergeable ColumnProfile, exact counts in the bins
 * of each monitor that existed while the window was written (frozen from its reference, so the
 * counts of merged windows are exactly those of one pass), and a uniform sample for the exact mode.
 */
export class FeatureWindow {
  readonly profile: ColumnProfile;
  readonly bins = new Map<string, { index: BinIndex; counts: number[] }>();
  seen = 0;
  sample: SketchItem[] = [];
  private rng: Xoshiro128 | null = null;

  constructor(profile?: ColumnProfile) {
    this.profile = profile ?? new ColumnProfile(WINDOW_PROFILE_OPTIONS);
  }

  track(index: BinIndex): void {
    if (!this.bins.has(index.spec.id))
      this.bins.set(index.spec.id, { index, counts: new Array<number>(index.size).fill(0) });
  }

  update(value: unknown): void {
    const v = toColumnValue(value);
    this.profile.update(v);
    if (v === null || (typeof v === 'number' && Number.isNaN(v))) return;
    for (const b of this.bins.values()) b.counts[b.index.binOf(v)]!++;
    this.seen++;
    const kept = typeof v === 'string' ? v.slice(0, RESERVOIR_STRING_LENGTH) : v;
    if (this.sample.length < RESERVOIR_SIZE) this.sample.push(kept);
    else {
      const j = this.random().nextInt(this.seen);
      if (j < RESERVOIR_SIZE) this.sample[j] = kept;
    }
  }

  /**
   * Adds another window of the same feature. Bin counts are kept only for the specs both sides
   * counted (a window written before a monitor existed has none of its counts); the samples
   * merge into a uniform sample of the union.
   */
  merge(other: FeatureWindow): this {
    this.profile.merge(other.profile);
    for (const [id, b] of this.bins) {
      const o = other.bins.get(id);
      if (!o) this.bins.delete(id);
      else for (let i = 0; i < b.counts.length; i++) b.counts[i]! += o.counts[i] ?? 0;
    }
    this.sample = mergeSamples(this.sample, this.seen, other.sample, other.seen, this.random());
    this.seen += other.seen;
    return this;
  }

  /** Bin counts of a spec when every merged window counted it, else null. */
  countsFor(specId: string): number[] | null {
    return this.bins.get(specId)?.counts ?? null;
  }

  /** Format 1; the profile, then each bin spec's id and counts, then the sample (as JSON). */
  serialize(): Buffer {
    const parts: Buffer[] = [];
    const profile = Buffer.from(this.profile.serialize());
    parts.push(varint(1), varint(profile.length), profile, varint(this.bins.size));
    for (const [id, b] of this.bins) {
      const bytes = Buffer.from(id);
      parts.push(varint(bytes.length), bytes, varint(b.counts.length));
      for (const c of b.counts) parts.push(varint(c));
    }
    const sample = Buffer.from(JSON.stringify(this.sample));
    parts.push(varint(this.seen), varint(sample.length), sample);
    return Buffer.concat(parts);
  }

  /** Bin counts of specs not in `specs` (a deleted monitor's) are dropped. */
  static deserialize(bytes: Uint8Array, specs: ReadonlyMap<string, BinIndex>): FeatureWindow {
    const r = new Reader(bytes);
    if (r.varint() !== 1) throw new Error('feature window: unknown format');
    const window = new FeatureWindow(ColumnProfile.deserialize(r.bytes(r.varint())));
    const nBins = r.varint();
    for (let i = 0; i < nBins; i++) {
      const id = Buffer.from(r.bytes(r.varint())).toString('utf8');
      const counts = Array.from({ length: r.varint() }, () => r.varint());
      const index = specs.get(id);
      if (index && index.size === counts.length) window.bins.set(id, { index, counts });
    }
    window.seen = r.varint();
    window.sample = JSON.parse(Buffer.from(r.bytes(r.varint())).toString('utf8')) as SketchItem[];
    return window;
  }

  private random(): Xoshiro128 {
    this.rng ??= new Xoshiro128([0x9e3779b9, this.seen + 1, this.profile.count + 7, 0x85ebca6b]);
    return this.rng;
  }
}

/** Event values as profile values: numbers, strings, booleans; objects as their JSON; the rest null. */
export function toColumnValue(value: unknown): number | string | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return Number(value);
  return JSON.stringify(value);
}

/** Slots drawn from each side in proportion to the events each sample stands for. */
function mergeSamples(a: SketchItem[], na: number, b: SketchItem[], nb: number, rng: Xoshiro128) {
  if (nb === 0) return a;
  if (na === 0) return [...b];
  const pa = [...a];
  const pb = [...b];
  const out: SketchItem[] = [];
  let wa = na;
  let wb = nb;
  while (out.length < RESERVOIR_SIZE && (pa.length > 0 || pb.length > 0)) {
    const fromA = pb.length === 0 || (pa.length > 0 && rng.nextUint32() / 4294967296 < wa / (wa + wb));
    const pool = fromA ? pa : pb;
    const at = rng.nextInt(pool.length);
    out.push(pool[at]!);
    pool[at] = pool[pool.length - 1]!;
    pool.pop();
    if (fromA) wa -= na / a.length;
    else wb -= nb / b.length;
  }
  return out;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let x = Math.max(0, Math.floor(n));
  while (x >= 0x80) {
    out.push((x % 0x80) | 0x80);
    x = Math.floor(x / 0x80);
  }
  out.push(x);
  return Buffer.from(out);
}

class Reader {
  private at = 0;
  constructor(private readonly buf: Uint8Array) {}
  varint(): number {
    let x = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= this.buf.length) throw new Error('feature window: truncated');
      const b = this.buf[this.at++]!;
      x += (b & 0x7f) * scale;
      if (b < 0x80) return x;
      scale *= 0x80;
    }
  }
  bytes(n: number): Uint8Array {
    if (this.at + n > this.buf.length) throw new Error('feature window: truncated');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
}
