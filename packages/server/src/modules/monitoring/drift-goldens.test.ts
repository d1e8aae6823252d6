import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import { BinIndex, FeatureWindow } from './feature-window.js';
import { driftOf, type MonitorModel, referenceSide } from './monitor-drift.js';
import { DEFAULT_THRESHOLDS, type DriftTest } from './monitor-spec.js';
import { buildReference } from './reference-builder.js';
import { defaultTest } from './test-choice.js';

interface Case {
  name: string;
  test: DriftTest;
  ref: (number | string)[];
  cur: (number | string)[];
  expected: number;
}

// scipy's statistics on the same data (fixtures/monitoring/goldens.py): KS p-values from
// ks_2samp, chi-square from chisquare with Evidently's expected counts, the pooled two-proportion
// z-test, Wasserstein over np.std(ref), Jensen–Shannon distance with the natural logarithm.
const goldens = JSON.parse(
  readFileSync(new URL('../../../fixtures/monitoring/drift-goldens.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

let dir: string;
let engine: AnalyticsEngine;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plumb-goldens-'));
  engine = await AnalyticsEngine.open({ allowedDirectories: [dir] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The reference through DuckDB as a monitor builds it, the current as three merged hourly windows. */
async function run(c: Case, exact = false) {
  const path = join(dir, `${c.name}.csv`);
  writeFileSync(path, `x\n${c.ref.join('\n')}\n`);
  const [type] = await engine.query(`SELECT typeof(x) AS t FROM read_csv('${path}') LIMIT 1`);
  const [ref] = await buildReference(engine, { format: 'csv', paths: [path] }, [
    { feature: 'x', column: 'x', type: String(type!.t) },
  ]);
  ref!.bins!.id = 'mon_test:x';
  const index = new BinIndex(ref!.bins!);
  const parts = [0, 1, 2].map(() => {
    const w = new FeatureWindow();
    w.track(index);
    return w;
  });
  c.cur.forEach((v, i) => {
    parts[i % 3]!.update(v);
  });
  const merged = FeatureWindow.deserialize(parts[0]!.serialize(), new Map([[index.spec.id, index]]));
  merged.merge(parts[1]!).merge(parts[2]!);
  const model: MonitorModel = {
    tests: [{ feature: 'x', test: c.test, threshold: DEFAULT_THRESHOLDS[c.test], chosen: false }],
    refs: new Map([['x', ref!]]),
    sides: new Map([['x', referenceSide(ref!)]]),
    datasetShare: 0.5,
  };
  return { ref: ref!, drift: driftOf(model, new Map([['x', merged]]), exact).features[0]! };
}

describe('profile-based drift against scipy', () => {
  for (const c of goldens.cases) {
    it(`${c.name}: ${c.test} within its stated bound of scipy's ${c.expected.toPrecision(4)}`, async () => {
      const { ref, drift } = await run(c);
      // Evidently's default for this reference is the test the fixture computed.
      expect(defaultTest(ref)).toBe(c.test === 'psi' ? 'wasserstein' : c.test);
      expect(drift.low).toBeLessThanOrEqual(c.expected * (1 + 1e-9) + 1e-12);
      expect(drift.high).toBeGreaterThanOrEqual(c.expected * (1 - 1e-9) - 1e-12);
      if (drift.exact) expect(drift.statistic).toBeCloseTo(c.expected, 9);
      const threshold = DEFAULT_THRESHOLDS[c.test];
      const scipyDrifts =
        c.test === 'ks'
          ? c.expected <= threshold
          : ['chisquare', 'z'].includes(c.test)
            ? c.expected < threshold
            : c.expected >= threshold;
      if (drift.verdict !== 'indeterminate') expect(drift.drifted).toBe(scipyDrifts);
    });
  }

  it('binned tests over windows counted in frozen bins are exact, so merged windows equal one pass', async () => {
    for (const c of goldens.cases.filter((g) =>
      ['chisquare', 'z', 'jensenshannon', 'psi'].includes(g.test),
    )) {
      const { drift } = await run(c);
      expect(drift.exact, c.name).toBe(true);
      expect(drift.verdict, c.name).not.toBe('indeterminate');
    }
  });

  it('says indeterminate where the sketch bound straddles the threshold, and decides where it does not', async () => {
    const near = await run(goldens.cases.find((g) => g.name === 'wasserstein_near_threshold')!);
    expect(near.drift.verdict).toBe('indeterminate');
    const far = await run(goldens.cases.find((g) => g.name === 'wasserstein_drift')!);
    expect(far.drift.verdict).toBe('drift');
  });
});
