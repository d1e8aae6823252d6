import type { OutputTensor } from '../../runtime/classifier-output.js';
import type { ClassLabel } from '../../runtime/onnx-model-prep.js';

/** One row's slice of one output tensor; `dims` leave out the batch dimension. */
export interface RowTensor {
  name: string;
  type: string;
  dims: number[];
  data: (number | string)[];
}

/** What a version answered for one row, in both the REST and the OIP forms. */
export interface RowAnswer {
  tensors: RowTensor[];
  /** Classifiers: `{ label, probabilities }`; regressors: `{ score }`; else each tensor by name. */
  output: unknown;
  label: ClassLabel | null;
  score: number | null;
  confidence: number | null;
}

const FLOAT_TYPES = new Set(['float32', 'float64']);

/**
 * Splits a batch's outputs into rows. A float [N, C ≥ 2] output (or one with classes declared)
 * makes the model a classifier: its label is the argmax (ties to the first class, as
 * evaluations read it), its confidence the largest probability. A float [N] or [N, 1] output
 * otherwise makes it a regressor, with that value as the score.
 */
export function rowAnswers(outputs: OutputTensor[], rows: number, classes: ClassLabel[] | null): RowAnswer[] {
  const split = outputs.map((t) => splitRows(t, rows));
  const probs = pickProbabilities(outputs, rows);
  const regression =
    probs === undefined
      ? outputs.find(
          (o) =>
            FLOAT_TYPES.has(o.type) &&
            o.dims[0] === rows &&
            (o.dims.length === 1 || (o.dims.length === 2 && o.dims[1] === 1)),
        )
      : undefined;
  const answers: RowAnswer[] = [];
  for (let r = 0; r < rows; r++) {
    const tensors = split.map((s) => s[r]!);
    if (probs) {
      const width = probs.dims[1]!;
      const data = probs.data as ArrayLike<number>;
      const names =
        classes && classes.length === width ? classes : Array.from({ length: width }, (_, i) => i);
      let best = 0;
      const probabilities: Record<string, number> = {};
      for (let c = 0; c < width; c++) {
        const p = Number(data[r * width + c]);
        probabilities[String(names[c])] = p;
        if (p > Number(data[r * width + best])) best = c;
      }
      const confidence = Number(data[r * width + best]);
      const label = names[best]!;
      answers.push({
        tensors,
        output: { label, probabilities },
        label,
        // A binary classifier's score is the second class's probability.
        score: width === 2 ? Number(data[r * 2 + 1]) : null,
        confidence,
      });
    } else if (regression) {
      const score = Number((regression.data as ArrayLike<number>)[r]);
      answers.push({ tensors, output: { score }, label: null, score, confidence: null });
    } else {
      answers.push({
        tensors,
        output: Object.fromEntries(tensors.map((t) => [t.name, t.dims.length === 0 ? t.data[0] : t.data])),
        label: null,
        score: null,
        confidence: null,
      });
    }
  }
  return answers;
}

function pickProbabilities(outputs: OutputTensor[], rows: number): OutputTensor | undefined {
  const candidates = outputs.filter(
    (o) => FLOAT_TYPES.has(o.type) && o.dims.length === 2 && o.dims[0] === rows && o.dims[1]! >= 2,
  );
  return candidates.find((o) => /prob/i.test(o.name)) ?? candidates[0];
}

function splitRows(t: OutputTensor, rows: number): RowTensor[] {
  const dims = [...t.dims];
  if (dims[0] !== rows) {
    // Not batched by row (a scalar or a fixed tensor): every row gets all of it.
    const data = Array.from(t.data as ArrayLike<number | bigint | string>, plain);
    return Array.from({ length: rows }, () => ({ name: t.name, type: t.type, dims, data }));
  }
  const rest = dims.slice(1);
  const width = rest.reduce((a, b) => a * b, 1);
  const out: RowTensor[] = [];
  for (let r = 0; r < rows; r++) {
    const data: (number | string)[] = [];
    for (let i = r * width; i < (r + 1) * width; i++)
      data.push(plain((t.data as ArrayLike<number | bigint | string>)[i]!));
    out.push({ name: t.name, type: t.type, dims: rest, data });
  }
  return out;
}

function plain(v: number | bigint | string): number | string {
  return typeof v === 'bigint' ? Number(v) : v;
}
