import type { EvalResult, EvalSliceResult, FairnessResult, SignificanceResult } from '@plumb/sdk';
import { describe, expect, it } from 'vitest';
import { parseEvalSuite } from './eval-suite.js';
import { decideGate } from './gate.js';

// Each rule on hand-made results, failing and passing, with the exact sentence a person reads.

const BASE = `
name: gate
datasets: [data@v1]
label: y
task: classification
positive_label: yes
features: [a, b]
slices:
  - { name: rain, column: weather, equals: rain }
  - { name: warm, where: "temp > 20" }
metrics: [accuracy, log_loss]
red_team:
  - dataset: hard@v1
`;
const RED_TEAM_BAR = `  - dataset: hard@v1
    thresholds: { accuracy: { min: 0.5 } }
`;

function spec(gate: string, redTeam = '  - hard@v1\n') {
  return parseEvalSuite(`${BASE.replace('  - dataset: hard@v1\n', redTeam)}gate:\n${gate}`).spec;
}

type M = Record<string, number | null>;
function slice(name: string, candidate: M, baseline: M | null, rows = 100): EvalSliceResult {
  const kind = name === 'overall' ? 'overall' : name.startsWith('red_team:') ? 'red_team' : 'slice';
  return { name, kind, rows, candidate, baseline, notes: {} };
}

function result(
  slices: EvalSliceResult[],
  extra: { fairness?: FairnessResult[]; significance?: SignificanceResult | null } = {},
): EvalResult {
  return {
    task: 'classification',
    metrics: ['accuracy', 'log_loss'],
    slices,
    skippedRows: { nullLabel: 0, badFeature: 0 },
    fairness: extra.fairness ?? [],
    significance: extra.significance ?? null,
    batchSize: 4096,
    timings: { scanMs: 0, inferenceMs: 0, metricsMs: 0 },
  };
}

const good = { accuracy: 0.8, log_loss: 0.4 };
const standard = (cand: { overall?: M; rain?: M; warm?: M; red?: M } = {}, base: M | null = good) =>
  result([
    slice('overall', cand.overall ?? good, base),
    slice('rain', cand.rain ?? good, base),
    slice('warm', cand.warm ?? good, base),
    slice('red_team:hard@v1', cand.red ?? good, base),
  ]);

describe('thresholds', () => {
  const s = spec(
    '  thresholds:\n    accuracy: { min: 0.75, slices: [rain] }\n    log_loss: { max: 0.5 }\n',
    RED_TEAM_BAR,
  );

  it('pass at and above the bound, overall and in the listed slices', () => {
    const out = decideGate(s, standard({ overall: { accuracy: 0.75, log_loss: 0.5 } }), true);
    expect(out).toMatchObject({ passed: true, reasons: [] });
    expect(
      out.checks.filter((c) => c.rule === 'threshold').map((c) => [c.slice, c.metric, c.status]),
    ).toEqual([
      ['overall', 'accuracy', 'pass'],
      ['rain', 'accuracy', 'pass'],
      ['overall', 'log_loss', 'pass'],
      ['red_team:hard@v1', 'accuracy', 'pass'],
    ]);
  });

  it('fail below a minimum, above a maximum, and on an undefined value', () => {
    const out = decideGate(
      s,
      standard({
        overall: { accuracy: 0.7, log_loss: 0.61 },
        rain: { accuracy: null, log_loss: 0.1 },
        red: { accuracy: 0.25, log_loss: 1 },
      }),
      true,
    );
    expect(out.passed).toBe(false);
    expect(out.reasons).toEqual([
      'overall: accuracy 0.7 is below the minimum 0.75',
      'slice rain: accuracy is undefined, so it cannot meet the minimum 0.75',
      'overall: log_loss 0.61 is above the maximum 0.5',
      'slice red_team:hard@v1: accuracy 0.25 is below the minimum 0.5',
    ]);
  });

  it('an empty slice cannot meet a bound', () => {
    const r = standard();
    r.slices[1] = {
      ...slice('rain', { accuracy: null, log_loss: null }, null, 0),
      notes: { accuracy: 'no rows' },
    };
    expect(decideGate(s, r, true).reasons).toEqual([
      'slice rain: accuracy is undefined (the slice has no rows), so it cannot meet the minimum 0.75',
    ]);
  });
});

describe('max_regression (overall)', () => {
  const s = spec('  max_regression: { accuracy: 0.02, log_loss: 0.05 }\n');

  it('passes within the tolerance and when better', () => {
    const out = decideGate(s, standard({ overall: { accuracy: 0.78, log_loss: 0.3 } }), true);
    expect(out.passed).toBe(true);
    expect(out.checks.map((c) => c.message)).toEqual([
      "overall: accuracy 0.78 against the baseline's 0.8 (max regression 0.02)",
      "overall: log_loss 0.3 against the baseline's 0.4 (max regression 0.05)",
    ]);
  });

  it('fails beyond it, in the direction that is worse for each metric', () => {
    const out = decideGate(s, standard({ overall: { accuracy: 0.76, log_loss: 0.5 } }), true);
    expect(out.reasons).toEqual([
      "overall: accuracy 0.76 is 0.04 below the baseline's 0.8 (max regression 0.02)",
      "overall: log_loss 0.5 is 0.1 above the baseline's 0.4 (max regression 0.05)",
    ]);
  });

  it('is skipped without a baseline', () => {
    const out = decideGate(s, standard({ overall: { accuracy: 0.1, log_loss: 9 } }, null), false);
    expect(out.passed).toBe(true);
    expect(out.checks.every((c) => c.status === 'skip')).toBe(true);
  });
});

describe('max_slice_regression', () => {
  const s = spec('  max_slice_regression: { accuracy: 0.02 }\n');

  it('checks every slice and red-team set, never overall', () => {
    const out = decideGate(
      s,
      standard(
        {
          overall: { accuracy: 0.1, log_loss: 0 },
          rain: { accuracy: 0.71, log_loss: 0 },
          warm: { accuracy: 0.79, log_loss: 0 },
        },
        {
          accuracy: 0.75,
          log_loss: 0,
        },
      ),
      true,
    );
    expect(out.reasons).toEqual([
      "slice rain: accuracy 0.71 is 0.04 below the baseline's 0.75 (max regression 0.02)",
    ]);
    expect(out.checks.map((c) => [c.slice, c.status])).toEqual([
      ['rain', 'fail'],
      ['warm', 'pass'],
      ['red_team:hard@v1', 'pass'],
    ]);
  });

  it('passes exactly at the tolerance despite float rounding', () => {
    const out = decideGate(
      s,
      standard({ rain: { accuracy: 0.73, log_loss: 0 } }, { accuracy: 0.75, log_loss: 0 }),
      true,
    );
    expect(out.passed).toBe(true);
  });
});

describe('fairness', () => {
  const s = spec('  fairness: { group_column: region, metric: demographic_parity, max: 0.1 }\n');
  const fairness = (candidate: number | null): FairnessResult => ({
    groupColumn: 'region',
    metric: 'demographic_parity',
    max: 0.1,
    groups: 3,
    candidate,
    baseline: 0.05,
    note: candidate === null ? 'no rows' : null,
  });

  it('passes within the maximum', () => {
    const out = decideGate(s, result([slice('overall', good, good)], { fairness: [fairness(0.1)] }), true);
    expect(out.passed).toBe(true);
    expect(out.checks[0]!.message).toBe(
      'fairness: the demographic parity difference across region is 0.1, within the maximum 0.1',
    );
  });

  it('fails above it, or when it cannot be computed', () => {
    expect(
      decideGate(s, result([slice('overall', good, good)], { fairness: [fairness(0.15)] }), true).reasons,
    ).toEqual(['fairness: the demographic parity difference across region is 0.15, above the maximum 0.1']);
    expect(
      decideGate(s, result([slice('overall', good, good)], { fairness: [fairness(null)] }), true).reasons,
    ).toEqual(['fairness: the demographic parity difference across region could not be computed (no rows)']);
  });
});

describe('significance', () => {
  const mcnemar = (verdict: SignificanceResult['verdict'], pValue: number): SignificanceResult => ({
    test: 'mcnemar',
    metric: 'accuracy',
    alpha: 0.05,
    delta: 0,
    pValue,
    table: [
      [80, 5],
      [15, 0],
    ],
    low: null,
    high: null,
    seed: null,
    iterations: null,
    verdict,
    note: null,
  });
  const overall = (cand: number, base: number) => [
    slice('overall', { accuracy: cand, log_loss: 0 }, { accuracy: base, log_loss: 0 }),
  ];

  it('significantly better passes; significantly worse fails even within max_regression', () => {
    const s = spec('  max_regression: { accuracy: 0.05 }\n  significance: { test: mcnemar }\n');
    expect(
      decideGate(s, result(overall(0.85, 0.8), { significance: mcnemar('better', 0.003) }), true).passed,
    ).toBe(true);
    const worse = decideGate(s, result(overall(0.78, 0.8), { significance: mcnemar('worse', 0.021) }), true);
    expect(worse.reasons).toEqual([
      'significance: the candidate is significantly worse than the baseline on accuracy (McNemar p = 0.021, alpha 0.05)',
    ]);
  });

  it('no significant difference passes only without a regression beyond max_regression (0 when unset)', () => {
    const strict = spec('  significance: { test: mcnemar }\n');
    const tie = mcnemar('no_significant_difference', 0.41);
    expect(decideGate(strict, result(overall(0.8, 0.8), { significance: tie }), true).passed).toBe(true);
    expect(decideGate(strict, result(overall(0.79, 0.8), { significance: tie }), true).reasons).toEqual([
      "significance: accuracy 0.79 is not significantly different from the baseline's 0.8 (McNemar p = 0.41), so it must not regress, but it is 0.01 below it (max regression 0)",
    ]);
    const tolerant = spec('  max_regression: { accuracy: 0.02 }\n  significance: { test: mcnemar }\n');
    expect(decideGate(tolerant, result(overall(0.79, 0.8), { significance: tie }), true).passed).toBe(true);
  });

  it('a paired bootstrap names its interval and seed; a test that could not run fails', () => {
    const s = spec('  significance: { test: paired_bootstrap, metric: log_loss, seed: 7 }\n');
    const boot: SignificanceResult = {
      ...mcnemar('worse', 0),
      test: 'paired_bootstrap',
      metric: 'log_loss',
      pValue: null,
      table: null,
      low: 0.01,
      high: 0.05,
      seed: 7,
      iterations: 1000,
    };
    expect(decideGate(s, result(overall(0.8, 0.8), { significance: boot }), true).reasons).toEqual([
      'significance: the candidate is significantly worse than the baseline on log_loss (paired bootstrap 95% interval of the difference [0.01, 0.05], seed 7, alpha 0.05)',
    ]);
    const broken = {
      ...boot,
      verdict: 'not_computed' as const,
      note: 'could not be computed: only one class',
    };
    expect(decideGate(s, result(overall(0.8, 0.8), { significance: broken }), true).reasons).toEqual([
      'significance: paired_bootstrap on log_loss could not be computed: only one class',
    ]);
  });

  it('is skipped without a baseline', () => {
    const s = spec('  significance: { test: mcnemar }\n');
    const out = decideGate(
      s,
      result([slice('overall', good, null)], { significance: mcnemar('not_computed', 1) }),
      false,
    );
    expect(out.passed).toBe(true);
    expect(out.checks[0]!.status).toBe('skip');
  });
});
