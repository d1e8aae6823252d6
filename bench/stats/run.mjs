// Sketch throughput (updates per second), merge and serialization costs, ks2samp on 10^6 + 10^6
// values next to profileDrift on the same data, and the accuracy reached at default sizes.
// Run after building the stats package:
//   npx tsc -b packages/stats && node bench/stats/run.mjs
import {
  ColumnProfile,
  FrequentItems,
  HyperLogLog,
  ks2samp,
  profileDrift,
  QuantileSketch,
} from '../../packages/stats/dist/index.js';

const N = 1_000_000;
// Best of several runs: the figure least disturbed by whatever else shares the machine.
const ROUNDS = 5;

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = seeded(1);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const numbers = Float64Array.from({ length: N }, gaussian);
const shifted = Float64Array.from({ length: N }, () => gaussian() + 0.05);
const pool = Array.from({ length: 100_000 }, (_, i) => `user-${i}`);
// Zipf-like choice from the pool: a few heavy hitters and a long tail, as categorical features have.
const strings = Array.from({ length: N }, () => pool[Math.floor(pool.length * rand() ** 4)]);
const distinctStrings = Array.from({ length: N }, (_, i) => `id-${i}`);

/** Fastest of ROUNDS runs, after one warm-up run, in seconds. */
function time(fn) {
  fn();
  const runs = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  return Math.min(...runs);
}

const rate = (count, seconds) => `${(count / seconds / 1e6).toFixed(2)} M/s`.padStart(11);
const row = (label, value, note = '') => console.log(`${label.padEnd(46)}${value}${note ? `  ${note}` : ''}`);

console.log(`Node ${process.version}, ${N.toLocaleString('en')} values per run, best of ${ROUNDS}\n`);
console.log('updates per second');
row(
  'QuantileSketch.update (k=400, gaussian)',
  rate(
    N,
    time(() => numbers.reduce((s, v) => s.update(v), new QuantileSketch())),
  ),
);
row(
  'QuantileSketch.update (sorted input)',
  rate(
    N,
    time(() => {
      const s = new QuantileSketch();
      for (let i = 0; i < N; i++) s.update(i);
    }),
  ),
);
row(
  'HyperLogLog.update (numbers)',
  rate(
    N,
    time(() => numbers.reduce((h, v) => h.update(v), new HyperLogLog())),
  ),
);
row(
  'HyperLogLog.update (strings)',
  rate(
    N,
    time(() => distinctStrings.reduce((h, v) => h.update(v), new HyperLogLog())),
  ),
);
row(
  'FrequentItems.update (zipf strings, 100k pool)',
  rate(
    N,
    time(() => strings.reduce((f, v) => f.update(v), new FrequentItems())),
  ),
);
row(
  'ColumnProfile.update (numeric column)',
  rate(
    N,
    time(() => numbers.reduce((p, v) => p.update(v), new ColumnProfile())),
  ),
);
row(
  'ColumnProfile.update (categorical column)',
  rate(
    N,
    time(() => strings.reduce((p, v) => p.update(v), new ColumnProfile())),
  ),
);

console.log('\nmerge and storage (100 windows of 10,000 values)');
const windows = Array.from({ length: 100 }, (_, w) => {
  const p = new ColumnProfile();
  for (let i = w * 10_000; i < (w + 1) * 10_000; i++) p.update(numbers[i]);
  return p;
});
const stored = windows.map((w) => w.serialize());
const mergeSeconds = time(() =>
  stored.reduce((acc, b) => acc.merge(ColumnProfile.deserialize(b)), new ColumnProfile()),
);
row('deserialize + merge one stored profile', `${((mergeSeconds / 100) * 1e6).toFixed(0).padStart(7)} µs`);
const merged = stored.reduce((acc, b) => acc.merge(ColumnProfile.deserialize(b)), new ColumnProfile());
row(
  'serialized numeric ColumnProfile (10^6 values)',
  `${merged.serialize().length.toLocaleString('en').padStart(7)} B`,
);
const categorical = strings.reduce((p, v) => p.update(v), new ColumnProfile());
row(
  'serialized categorical ColumnProfile (10^6)',
  `${categorical.serialize().length.toLocaleString('en').padStart(7)} B`,
);

console.log('\ndrift on 10^6 + 10^6 values');
let ks;
const ksSeconds = time(() => {
  ks = ks2samp(numbers, shifted);
});
row(`ks2samp (exact statistic, ${ks.method} p-value)`, rate(2 * N, ksSeconds), 'values/s');
const refProfile = numbers.reduce((p, v) => p.update(v), new ColumnProfile());
const curProfile = shifted.reduce((p, v) => p.update(v), new ColumnProfile());
let drift;
const driftSeconds = time(() => {
  drift = profileDrift(refProfile, curProfile);
});
row('profileDrift on the two profiles', `${(driftSeconds * 1e3).toFixed(2).padStart(7)} ms`, 'per call');
row('  KS exact vs from sketches', `${ks.statistic.toFixed(5)} vs ${drift.ks.toFixed(5)}`);

console.log('\naccuracy at default sizes (not timed)');
const sorted = Float64Array.from(numbers).sort();
const below = (x, inclusive) => {
  let lo = 0;
  let hi = N;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (inclusive ? sorted[mid] <= x : sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo / N;
};
const rankError = (sketch) => {
  let worst = 0;
  for (let i = 1; i < 1000; i++) {
    const q = i / 1000;
    const x = sketch.quantile(q);
    worst = Math.max(worst, below(x, false) - q, q - below(x, true));
  }
  return worst;
};
const single = numbers.reduce((s, v) => s.update(v), new QuantileSketch());
row('QuantileSketch worst rank error, one stream', `${(rankError(single) * 100).toFixed(3)} %`);
row(
  'QuantileSketch worst rank error, 100 merged',
  `${(rankError(merged.quantileSketch) * 100).toFixed(3)} %`,
);
row('QuantileSketch serialized size', `${single.serialize().length.toLocaleString('en')} B`);
const hll = distinctStrings.reduce((h, v) => h.update(v), new HyperLogLog());
row(
  'HyperLogLog relative error at 10^6 distinct',
  `${((Math.abs(hll.estimate() - N) / N) * 100).toFixed(3)} %`,
);
row('HyperLogLog serialized size', `${hll.serialize().length.toLocaleString('en')} B`);
