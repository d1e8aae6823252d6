import { describe, expect, it } from 'vitest';
import { parseEvalSuite } from './eval-suite.js';

const FULL = `
name: weather-gate
datasets: [weather@v3, weather-2016@v1]
label: weather
task: classification
positive_label: rain
features:
  input: [precipitation, temp_max, temp_min, wind]
  small_input: [temp_max, wind]
slices:
  - { name: rain, column: weather, equals: rain }
  - { name: warm, where: "temp_max > 20" }
metrics: [accuracy, f1, log_loss]
red_team:
  - storms@v1
  - dataset: fog@v2
    thresholds: { accuracy: { min: 0.4 } }
gate:
  thresholds:
    accuracy: { min: 0.7, slices: all }
    log_loss: { max: 1.2 }
  max_regression: { accuracy: 0.01 }
  max_slice_regression: { accuracy: 0.02 }
  fairness: { group_column: region, metric: equalized_odds, max: 0.1 }
  significance: { test: paired_bootstrap, alpha: 0.1, metric: f1 }
`;

function problems(yaml: string): string[] {
  try {
    parseEvalSuite(yaml);
  } catch (error) {
    return (error as { details: { problems?: string[] } }).details.problems ?? [(error as Error).message];
  }
  throw new Error('the suite parsed');
}

describe('eval suites', () => {
  it('parses a full suite into what the runner and the gate use', () => {
    const { spec } = parseEvalSuite(FULL);
    expect(spec).toEqual({
      name: 'weather-gate',
      datasets: ['weather@v3', 'weather-2016@v1'],
      label: 'weather',
      task: 'classification',
      positiveLabel: 'rain',
      features: [
        { input: 'input', columns: ['precipitation', 'temp_max', 'temp_min', 'wind'] },
        { input: 'small_input', columns: ['temp_max', 'wind'] },
      ],
      slices: [
        { name: 'rain', condition: { column: 'weather', op: '=', value: 'rain' } },
        { name: 'warm', condition: { column: 'temp_max', op: '>', value: 20 } },
      ],
      metrics: ['accuracy', 'f1', 'log_loss'],
      redTeam: [
        { dataset: 'storms@v1', thresholds: {} },
        { dataset: 'fog@v2', thresholds: { accuracy: { min: 0.4 } } },
      ],
      gate: {
        thresholds: {
          accuracy: { min: 0.7, max: undefined, slices: ['rain', 'warm'] },
          log_loss: { min: undefined, max: 1.2, slices: [] },
        },
        maxRegression: { accuracy: 0.01 },
        maxSliceRegression: { accuracy: 0.02 },
        fairness: [{ groupColumn: 'region', metric: 'equalized_odds', max: 0.1 }],
        significance: {
          test: 'paired_bootstrap',
          alpha: 0.1,
          metric: 'f1',
          iterations: 1000,
          seed: 20_240_601,
        },
      },
    });
  });

  it('fills defaults: a list of features feeds any single input; McNemar tests accuracy', () => {
    const { spec } = parseEvalSuite(`
name: small
datasets: [d@v1]
label: y
task: classification
features: [a, b]
metrics: [accuracy]
gate: { significance: { test: mcnemar } }
`);
    expect(spec.features).toEqual([{ input: null, columns: ['a', 'b'] }]);
    expect(spec.slices).toEqual([]);
    expect(spec.positiveLabel).toBeNull();
    expect(spec.gate.significance).toMatchObject({ test: 'mcnemar', metric: 'accuracy', alpha: 0.05 });
  });

  it('reports every problem at once, each with where it is and its line', () => {
    const found = problems(`
name: Bad Name
datasets: []
label: y
task: classify
features: [a, y]
slices:
  - { name: overall, column: a, equals: 1 }
  - { name: w, where: "a > 1 OR 1=1" }
  - { name: both, column: a, equals: 1, where: "a = 1" }
metrics: [accuracy, f2]
extra: true
`);
    expect(found).toEqual([
      'name: use lower-case letters, digits, ".", "_" and "-" (line 2)',
      'datasets: must list at least one dataset version (line 3)',
      'task: Invalid option: expected one of "classification"|"regression" (line 5)',
      "slices[0].name: 'overall' is the whole data; choose another name (line 8)",
      'slices[1].where: where "a > 1 OR 1=1": unexpected "OR" after the comparison; a slice is one comparison (line 9)',
      'slices[2]: give either column and equals, or where, not both (line 10)',
      "metrics[1]: unknown metric 'f2'; expected one of accuracy, precision, recall, f1, precision_macro, recall_macro, f1_macro, precision_weighted, recall_weighted, f1_weighted, f1_micro, roc_auc, log_loss, brier_score, expected_calibration_error, mae, rmse, r2 (line 11)",
      "suite: unknown key 'extra' (line 2)",
    ]);
  });

  it('checks how the parts fit: metrics for the task, binary metrics, gate metrics, slices, leakage', () => {
    const found = problems(`
name: s
datasets: [d@v1, d@v1]
label: y
task: classification
features: { input: [a, y, a] }
slices:
  - { name: r, column: w, equals: x }
metrics: [accuracy, f1, mae]
red_team: [d@v1]
gate:
  thresholds:
    roc_auc: { min: 0.5, max: 0.4 }
    accuracy: { min: 0.5, slices: [nope] }
  max_regression: { log_loss: 0.1 }
  fairness: { group_column: g, metric: demographic_parity, max: 0.1 }
  significance: { test: mcnemar, metric: f1 }
`);
    expect(found).toEqual(['gate.thresholds.roc_auc.max: max (0.4) is below min (0.5) (line 13)']);
    const cross = problems(`
name: s
datasets: [d@v1, d@v1]
label: y
task: classification
features: { input: [a, y, a] }
slices:
  - { name: r, column: w, equals: x }
metrics: [accuracy, f1, mae]
red_team: [d@v1]
gate:
  thresholds:
    roc_auc: { min: 0.5 }
    accuracy: { min: 0.5, slices: [nope] }
  max_regression: { log_loss: 0.1 }
  fairness: { group_column: g, metric: demographic_parity, max: 0.1 }
  significance: { test: mcnemar, metric: f1 }
`);
    expect(cross).toEqual([
      'metrics[1]: f1 scores one class against the rest; set positive_label (line 9)',
      'metrics[2]: mae is a regression metric but the task is classification (line 9)',
      'features.input: names a column twice (line 6)',
      'features.input: the label y must not be a feature (line 6)',
      'datasets: names a dataset version twice (line 3)',
      'red_team[0]: d@v1 is already in the suite (line 10)',
      "gate.thresholds.roc_auc: roc_auc is not among the suite's metrics; add it to metrics (line 13)",
      'gate.thresholds.accuracy.slices: no slice is named nope (line 14)',
      "gate.max_regression.log_loss: log_loss is not among the suite's metrics; add it to metrics (line 15)",
      'gate.fairness: needs a classification task and positive_label (the selected class) (line 16)',
      'gate.significance.metric: mcnemar tests accuracy (right or wrong per row); omit metric (line 17)',
    ]);
  });

  it('refuses broken YAML, duplicate keys and alias bombs with the line', () => {
    expect(problems('name: a\nname: b\n')[0]).toMatch(/^line 2: Map keys must be unique/);
    expect(problems('name: [unclosed\n')[0]).toMatch(/^line \d+: /);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}, *${String.fromCharCode(96 + i)}]`,
      );
    expect(() => parseEvalSuite(bomb.join('\n'))).toThrow(/not valid YAML/);
  });

  it('regression suites take regression metrics and no positive label', () => {
    expect(
      parseEvalSuite(
        'name: r\ndatasets: [d]\nlabel: y\ntask: regression\nfeatures: [a]\nmetrics: [mae, rmse, r2]\n',
      ).spec.metrics,
    ).toEqual(['mae', 'rmse', 'r2']);
    expect(
      problems(
        'name: r\ndatasets: [d]\nlabel: y\ntask: regression\npositive_label: 1\nfeatures: [a]\nmetrics: [accuracy]\n',
      ),
    ).toEqual([
      'metrics[0]: accuracy is a classification metric but the task is regression (line 7)',
      'positive_label: applies to classification only (line 5)',
    ]);
  });
});
