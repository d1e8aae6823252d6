import { PlumbError } from '../../core/errors.js';
import { type OutputTensor, toClassifierOutput } from '../../runtime/classifier-output.js';
import type { ClassLabel } from '../../runtime/onnx-model-prep.js';
import type { AnalyticsEngine } from '../../storage/analytics/duckdb-engine.js';
import { type Cell, quoteIdent } from '../../storage/analytics/sql-text.js';
import { type DatasetSource, tableSql } from '../datasets/dataset-source.js';
import type { SliceSpec } from './eval-suite.js';
import { Dictionary, Growable } from './growable.js';
import { cellKindOf, checkConditionType, matchesCondition } from './slice-expression.js';

/** What the runner needs of a loaded model; OnnxModel is one. */
export interface EvalModel {
  run(features: Float32Array, rows: number): Promise<OutputTensor[]>;
  readonly classes: ClassLabel[] | null;
}

export interface EvalSource {
  ref: string;
  role: 'data' | 'red_team';
  source: DatasetSource;
  schema: { name: string; type: string }[];
  /** The version's recorded row count: a scan that ends short of it is an error, not a result. */
  rows?: number;
}

export interface EvalPlan {
  task: 'classification' | 'regression';
  label: string;
  positiveLabel: string | null;
  slices: SliceSpec[];
  groupColumns: string[];
  sources: EvalSource[];
  /** Candidate first, then the baseline if any; each with its feature columns in input order. */
  models: { model: EvalModel; columns: string[] }[];
  /** Rows per inference call. */
  batchSize: number;
  /** Keep every class probability (log loss needs them), not only the positive class's. */
  keepAllProbabilities: boolean;
  onProgress?: (rowsRead: number) => void;
  signal?: AbortSignal;
}

/** One model's answers for every kept row, in row order. */
export interface ModelAnswers {
  /** Classification: predicted label codes. */
  codes: Int32Array;
  /** Regression: predicted values. */
  values: Float64Array;
  /** Probability of `positiveLabel` (0 when the model does not know that class). */
  positive: Float32Array;
  /** Row-major, `classCodes.length` per row, in the model's class order; empty unless kept. */
  probabilities: Float32Array;
  classCodes: number[];
}

/**
 * Only what the metrics need: labels, answers, and which rows belong where. Rows of the main
 * datasets come first (`dataRows` of them); each red-team set follows as its own range.
 */
export interface Collected {
  rows: number;
  dataRows: number;
  labels: Dictionary;
  truthCodes: Int32Array;
  truthValues: Float64Array;
  positiveCode: number | null;
  answers: ModelAnswers[];
  slices: Map<string, Int32Array>;
  redTeam: { ref: string; start: number; end: number }[];
  groups: Map<string, { codes: Int32Array; names: string[] }>;
  skipped: { nullLabel: number; badFeature: number };
  timings: { scanMs: number; inferenceMs: number };
}

/**
 * Checks that every column the plan reads exists with a usable type, before any row is read,
 * so a misspelt column fails at once and names the dataset.
 */
export function checkColumns(
  plan: Pick<EvalPlan, 'task' | 'label' | 'slices' | 'groupColumns'>,
  source: EvalSource,
  featureColumns: string[],
): void {
  const types = new Map(source.schema.map((c) => [c.name, c.type]));
  const need = (column: string, what: string) => {
    const type = types.get(column);
    if (type === undefined) {
      throw new PlumbError(
        'failed_precondition',
        `${source.ref} has no column ${column} (${what}); it has ${[...types.keys()].join(', ')}`,
      );
    }
    return type;
  };
  const labelType = need(plan.label, 'the label');
  if (plan.task === 'regression' && cellKindOf(labelType) !== 'number') {
    throw new PlumbError(
      'failed_precondition',
      `${source.ref}: the label ${plan.label} is ${labelType}; regression needs numbers`,
    );
  }
  for (const column of featureColumns) {
    const type = need(column, 'a feature');
    if (cellKindOf(type) === 'string') {
      throw new PlumbError(
        'failed_precondition',
        `${source.ref}: feature ${column} is ${type}; features must be numbers or booleans`,
      );
    }
  }
  if (source.role === 'data') {
    for (const slice of plan.slices) {
      checkConditionType(slice.name, slice.condition, need(slice.condition.column, `slice ${slice.name}`));
    }
    for (const column of plan.groupColumns) need(column, 'the fairness group');
  }
}

/**
 * Streams every source once through DuckDB, builds Float32 batches in each model's feature
 * order, runs the models on the same batch concurrently, and keeps per row only the label,
 * each model's answer, and slice and group membership. Rows with a null label or a null or
 * non-finite feature are counted and left out, for both models alike, so the comparison stays
 * paired.
 */
export async function collectPredictions(engine: AnalyticsEngine, plan: EvalPlan): Promise<Collected> {
  const featureColumns = [...new Set(plan.models.flatMap((m) => m.columns))];
  for (const s of plan.sources) checkColumns(plan, s, featureColumns);

  const labels = new Dictionary();
  const positiveCode = plan.positiveLabel === null ? null : labels.code(plan.positiveLabel);
  const truthCodes = new Growable(Int32Array);
  const truthValues = new Growable(Float64Array);
  const sliceRows = plan.slices.map(() => new Growable(Int32Array));
  const groupCodes = plan.groupColumns.map(() => new Growable(Int32Array));
  const groupNames = plan.groupColumns.map(() => new Dictionary());
  const answers = plan.models.map(() => newAnswerBuilder());
  const skipped = { nullLabel: 0, badFeature: 0 };
  const redTeam: Collected['redTeam'] = [];
  const widths = plan.models.map((m) => m.columns.length);
  const buffers = widths.map((w) => new Float32Array(plan.batchSize * w));
  let pending = 0;
  let rows = 0;
  let dataRows = 0;
  let rowsRead = 0;
  let inferenceMs = 0;
  const started = performance.now();

  const flush = async () => {
    if (pending === 0) return;
    const n = pending;
    pending = 0;
    const t0 = performance.now();
    const outputs = await Promise.all(
      plan.models.map((m, i) => m.model.run(buffers[i]!.subarray(0, n * widths[i]!), n)),
    );
    outputs.forEach((out, i) => {
      record(answers[i]!, out, n, plan, labels, positiveCode, plan.models[i]!.model.classes);
    });
    // Inference includes reading the outputs into labels and probabilities.
    inferenceMs += performance.now() - t0;
  };

  for (const source of plan.sources) {
    const start = rows;
    const raw = [
      plan.label,
      ...(source.role === 'data'
        ? [...plan.slices.map((s) => s.condition.column), ...plan.groupColumns]
        : []),
    ];
    const rawColumns = [...new Set(raw)];
    const select = [
      ...rawColumns.map((c, i) => `${quoteIdent(c)} AS r${i}`),
      ...featureColumns.map((c, i) => `CAST(${quoteIdent(c)} AS DOUBLE) AS f${i}`),
    ].join(', ');
    const rawIndex = new Map(rawColumns.map((c, i) => [c, i]));
    const featureIndex = new Map(featureColumns.map((c, i) => [c, rawColumns.length + i]));
    const modelColumns = plan.models.map((m) => m.columns.map((c) => featureIndex.get(c)!));
    const labelAt = rawIndex.get(plan.label)!;
    const sliceAt = plan.slices.map((s) => rawIndex.get(s.condition.column)!);
    const groupAt = plan.groupColumns.map((c) => rawIndex.get(c)!);
    const isData = source.role === 'data';

    for await (const chunk of engine.stream(
      `SELECT ${select} FROM ${tableSql(source.source)}`,
      source.rows === undefined ? {} : { expectedRows: source.rows },
    )) {
      if (plan.signal?.aborted) throw plan.signal.reason;
      const v = chunk.values;
      for (let r = 0; r < chunk.rows; r++) {
        const label = v[labelAt]![r]!;
        if (label === null) {
          skipped.nullLabel++;
          continue;
        }
        if (!featuresFinite(v, modelColumns, r)) {
          skipped.badFeature++;
          continue;
        }
        plan.models.forEach((_, m) => {
          const buffer = buffers[m]!;
          const cols = modelColumns[m]!;
          const base = pending * cols.length;
          for (let j = 0; j < cols.length; j++) buffer[base + j] = v[cols[j]!]![r] as number;
        });
        if (plan.task === 'classification') truthCodes.push(labels.code(labelText(label)));
        else truthValues.push(label as number);
        if (isData) {
          plan.slices.forEach((s, k) => {
            if (matchesCondition(s.condition, v[sliceAt[k]!]![r]!)) sliceRows[k]!.push(rows);
          });
          groupAt.forEach((at, k) => {
            const g = v[at]![r]!;
            groupCodes[k]!.push(groupNames[k]!.code(g === null ? '(null)' : labelText(g)));
          });
          dataRows++;
        }
        rows++;
        pending++;
        if (pending === plan.batchSize) await flush();
      }
      rowsRead += chunk.rows;
      plan.onProgress?.(rowsRead);
    }
    await flush();
    if (source.role === 'red_team') redTeam.push({ ref: source.ref, start, end: rows });
  }
  const totalMs = performance.now() - started;
  return {
    rows,
    dataRows,
    labels,
    truthCodes: truthCodes.finish(),
    truthValues: truthValues.finish(),
    positiveCode,
    answers: answers.map((a) => a.finish()),
    slices: new Map(plan.slices.map((s, k) => [s.name, sliceRows[k]!.finish()])),
    redTeam,
    groups: new Map(
      plan.groupColumns.map((c, k) => [c, { codes: groupCodes[k]!.finish(), names: groupNames[k]!.names }]),
    ),
    skipped,
    timings: { scanMs: totalMs - inferenceMs, inferenceMs },
  };
}

/** Labels are compared as text: a class 1 (int64), a label 1.0 (DOUBLE) and "1" are one label. */
export function labelText(cell: Cell): string {
  return String(cell);
}

function featuresFinite(values: Cell[][], modelColumns: number[][], r: number): boolean {
  for (const cols of modelColumns) {
    for (const c of cols) {
      const x = values[c]![r];
      if (typeof x !== 'number' || !Number.isFinite(x)) return false;
    }
  }
  return true;
}

function newAnswerBuilder() {
  const codes = new Growable(Int32Array);
  const values = new Growable(Float64Array);
  const positive = new Growable(Float32Array);
  const probabilities = new Growable(Float32Array);
  const state = { classCodes: null as number[] | null };
  return {
    codes,
    values,
    positive,
    probabilities,
    state,
    finish: (): ModelAnswers => ({
      codes: codes.finish(),
      values: values.finish(),
      positive: positive.finish(),
      probabilities: probabilities.finish(),
      classCodes: state.classCodes ?? [],
    }),
  };
}

function record(
  builder: ReturnType<typeof newAnswerBuilder>,
  outputs: OutputTensor[],
  n: number,
  plan: EvalPlan,
  labels: Dictionary,
  positiveCode: number | null,
  classes: ClassLabel[] | null,
): void {
  if (plan.task === 'regression') {
    const out = outputs.find(
      (o) =>
        (o.type === 'float32' || o.type === 'float64') &&
        o.dims[0] === n &&
        o.dims.slice(1).every((d) => d === 1),
    );
    if (!out) {
      throw new PlumbError(
        'failed_precondition',
        'the model has no float output with one value per row (N or [N, 1])',
        {
          details: { outputs: outputs.map((o) => ({ name: o.name, type: o.type, dims: o.dims })) },
        },
      );
    }
    const data = out.data as ArrayLike<number>;
    for (let i = 0; i < n; i++) builder.values.push(data[i]!);
    return;
  }
  const out = toClassifierOutput(outputs, { rows: n, classes });
  if (builder.state.classCodes === null)
    builder.state.classCodes = out.classes.map((c) => labels.code(labelText(c)));
  const classCodes = builder.state.classCodes;
  const positiveColumn = positiveCode === null ? -1 : classCodes.indexOf(positiveCode);
  const codeOf = new Map(out.classes.map((c, i) => [c, classCodes[i]!]));
  for (let i = 0; i < n; i++) {
    builder.codes.push(codeOf.get(out.labels[i]!)!);
    const row = out.probabilities[i]!;
    builder.positive.push(positiveColumn < 0 ? 0 : row[positiveColumn]!);
    if (plan.keepAllProbabilities) for (const p of row) builder.probabilities.push(p);
  }
}
