import { describe, expect, it } from 'vitest';
import { SketchFormatError } from './bytes.js';
import { FrequentItems, type SketchItem } from './frequent-items.js';
import { seededRandom } from './test-support.js';

/** Zipf(s=1.1)-like stream of `n` items over `distinct` strings, in a chosen order. */
function zipfStream(n: number, distinct: number, seed: number): string[] {
  const rand = seededRandom(seed);
  const weights = Array.from({ length: distinct }, (_, i) => 1 / (i + 1) ** 1.1);
  const total = weights.reduce((a, b) => a + b, 0);
  const cum: number[] = [];
  let acc = 0;
  for (const w of weights) {
    acc += w / total;
    cum.push(acc);
  }
  return Array.from({ length: n }, () => {
    const u = rand();
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cum[mid]! >= u) hi = mid;
      else lo = mid + 1;
    }
    return `item-${lo}`;
  });
}

function exactCounts(items: SketchItem[]): Map<SketchItem, number> {
  const m = new Map<SketchItem, number>();
  for (const it of items) m.set(it, (m.get(it) ?? 0) + 1);
  return m;
}

function itemsOf(items: SketchItem[], capacity?: number): FrequentItems {
  const s = new FrequentItems(capacity === undefined ? {} : { capacity });
  for (const it of items) s.update(it);
  return s;
}

function expectBoundsHold(sketch: FrequentItems, truth: Map<SketchItem, number>) {
  const n = sketch.count;
  expect(sketch.maximumError).toBeLessThanOrEqual(n / (sketch.capacity + 1));
  for (const [item, f] of truth) {
    const e = sketch.estimate(item);
    expect(e.lowerBound).toBeLessThanOrEqual(f);
    expect(e.upperBound).toBeGreaterThanOrEqual(f);
  }
  const tracked = new Set(sketch.top().map((e) => e.item));
  for (const [item, f] of truth) if (f > sketch.maximumError) expect(tracked.has(item)).toBe(true);
}

const stream = zipfStream(300_000, 20_000, 1);
const truth = exactCounts(stream);

describe('FrequentItems bounds', () => {
  const orders: Record<string, string[]> = {
    random: stream,
    sorted: [...stream].sort(),
    reversed: [...stream].sort().reverse(),
    rareFirst: [...stream].sort((a, b) => truth.get(a)! - truth.get(b)! || (a < b ? -1 : 1)),
  };
  for (const [name, items] of Object.entries(orders)) {
    it(`brackets every true frequency on ${name} input`, () => {
      const s = itemsOf(items);
      expect(s.count).toBe(items.length);
      expect(s.size).toBeLessThanOrEqual(2 * s.capacity);
      expectBoundsHold(s, truth);
    });
  }

  it('counts exactly while fewer than 2·capacity distinct items have been seen', () => {
    const items = zipfStream(50_000, 200, 2);
    const s = itemsOf(items, 100);
    expect(s.maximumError).toBe(0);
    for (const [item, f] of exactCounts(items)) expect(s.estimate(item).estimate).toBe(f);
  });

  it('keeps the bounds after merging 100 sketches, linearly or as a tree', () => {
    const parts = Array.from({ length: 100 }, (_, p) => itemsOf(stream.slice(p * 3000, (p + 1) * 3000)));
    const linear = new FrequentItems();
    for (const p of parts) linear.merge(p);
    const tree = parts.map((p) => FrequentItems.deserialize(p.serialize()));
    while (tree.length > 1) tree.push(tree.shift()!.merge(tree.shift()!));
    for (const merged of [linear, tree[0]!]) {
      expect(merged.count).toBe(stream.length);
      expectBoundsHold(merged, truth);
    }
  });

  it('merges commutatively byte for byte and associatively within the bounds', () => {
    const [a, b, c] = [0, 1, 2].map((i) => itemsOf(stream.slice(i * 100_000, (i + 1) * 100_000)));
    const ab = FrequentItems.deserialize(a!.serialize()).merge(b!);
    const ba = FrequentItems.deserialize(b!.serialize()).merge(a!);
    expect(ab.serialize()).toEqual(ba.serialize());
    const left = FrequentItems.deserialize(ab.serialize()).merge(c!);
    const right = FrequentItems.deserialize(a!.serialize()).merge(
      FrequentItems.deserialize(b!.serialize()).merge(c!),
    );
    for (const s of [left, right]) expectBoundsHold(s, truth);
  });
});

describe('FrequentItems answers', () => {
  it('ranks top items by counter, ties by kind then value, deterministically', () => {
    const s = itemsOf(['b', 'a', 2, true, false, 1, 'a', 2, true]);
    expect(s.top().map((e) => e.item)).toEqual([true, 2, 'a', false, 1, 'b']);
    expect(s.top(2)).toEqual([
      { item: true, estimate: 2, lowerBound: 2, upperBound: 2 },
      { item: 2, estimate: 2, lowerBound: 2, upperBound: 2 },
    ]);
    expect(s.estimate('zzz')).toEqual({ item: 'zzz', estimate: 0, lowerBound: 0, upperBound: 0 });
  });

  it('reports an untracked item as at most maximumError', () => {
    const s = itemsOf(stream);
    expect(s.maximumError).toBeGreaterThan(0);
    expect(s.estimate('never-seen').upperBound).toBe(s.maximumError);
  });

  it('normalizes -0, rejects NaN and bad weights, accepts integer weights', () => {
    const s = new FrequentItems();
    s.update(-0).update(0, 4);
    expect(s.estimate(0).estimate).toBe(5);
    expect(() => s.update(Number.NaN)).toThrow(RangeError);
    expect(() => s.update('x', 0)).toThrow(RangeError);
    expect(() => s.update('x', 1.5)).toThrow(RangeError);
    expect(() => s.update({} as unknown as string)).toThrow(TypeError);
    expect(s.count).toBe(5);
  });

  it('stores unpaired surrogates as U+FFFD so items survive serialization', () => {
    const s = itemsOf(['a\ud800', 'a\ufffd', '😀']);
    expect(s.estimate('a\ufffd').estimate).toBe(2);
    const copy = FrequentItems.deserialize(s.serialize());
    expect(copy.top()).toEqual(s.top());
  });
});

describe('FrequentItems serialization', () => {
  it('round-trips to identical bytes and answers', () => {
    for (const s of [new FrequentItems(), itemsOf(stream), itemsOf([1.5, -Infinity, true, 'ü'])]) {
      const bytes = s.serialize();
      const copy = FrequentItems.deserialize(bytes);
      expect(copy.serialize()).toEqual(bytes);
      expect(copy.top()).toEqual(s.top());
      expect(copy.maximumError).toBe(s.maximumError);
      expect(copy.count).toBe(s.count);
    }
  });

  it('gives the same bytes for the same stream whatever the map iteration order', () => {
    expect(itemsOf(['x', 'y', 'y']).serialize()).toEqual(itemsOf(['y', 'x', 'y']).serialize());
  });

  it('rejects unknown versions, bad entries and garbage', () => {
    const bytes = itemsOf(['a', 'b', 'b', 3]).serialize();
    expect([bytes[0], bytes[1]]).toEqual([1, 3]);
    const bad = (mutate: (b: Uint8Array) => void) => () => {
      const b = bytes.slice();
      mutate(b);
      return FrequentItems.deserialize(b);
    };
    expect(
      bad((b) => {
        b[0] = 9;
      }),
    ).toThrow(/unsupported format version 9/);
    expect(
      bad((b) => {
        b[1] = 4;
      }),
    ).toThrow(/ColumnProfile, not a FrequentItems/);
    expect(() => FrequentItems.deserialize(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    // Entries out of canonical order: swap the counters of two entries.
    const reordered = new FrequentItems();
    reordered.update('a', 1).update('b', 2);
    const r = reordered.serialize();
    const swapped = r.slice();
    swapped[swapped.indexOf(2, 6)] = 1;
    swapped[swapped.length - 1] = 2;
    expect(() => FrequentItems.deserialize(swapped)).toThrow(SketchFormatError);
    const rand = seededRandom(3);
    for (let i = 0; i < 200; i++) {
      const garbage = Uint8Array.from({ length: 2 + Math.floor(rand() * 40) }, () =>
        Math.floor(rand() * 256),
      );
      garbage.set([1, 3]);
      expect(() => FrequentItems.deserialize(garbage)).toThrow(SketchFormatError);
    }
  });
});
