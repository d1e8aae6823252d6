import { PlumbError } from '../core/errors.js';
import type { ClassLabel } from './onnx-model-prep.js';

/** One output of a run, as onnxruntime returns it. */
export interface OutputTensor {
  name: string;
  /** onnxruntime's element type name: `float32`, `int64`, `string`, … */
  type: string;
  dims: readonly number[];
  data: ArrayLike<number | bigint | string>;
}

/** What every classifier answers, whatever its ONNX outputs look like. */
export interface ClassifierOutput {
  /** Per row, the class with the highest probability (ties go to the earlier class). */
  labels: ClassLabel[];
  /** Per row, one probability per class, in `classes` order, as the model computed them. */
  probabilities: number[][];
  classes: ClassLabel[];
}

// float16 arrives as raw Uint16 bits, so it is not read as probabilities.
const FLOAT_TYPES = new Set(['float32', 'float64']);

/**
 * Shapes a classifier's raw outputs into labels, probabilities and classes. The probabilities
 * come from the model's float [N, C] output (a ZipMap was already turned into one at load); a
 * [N, 1] output is read as the positive class's probability of a binary model.
 *
 * Labels are always derived from the probabilities, never read from the model's label output:
 * for two-class tree ensembles onnxruntime decides the label from the raw score before
 * `post_transform`, and with some weights and ties it disagrees with the probabilities it
 * returns. One rule (argmax, ties to the first class) keeps labels and confidences consistent.
 */
export function toClassifierOutput(
  outputs: OutputTensor[],
  options: { rows: number; classes: ClassLabel[] | null; probabilityOutput?: string },
): ClassifierOutput {
  const tensor = pickProbabilities(outputs, options.rows, options.probabilityOutput);
  const width = tensor.dims[1]!;
  const columns = width === 1 ? 2 : width;
  const classes = options.classes ?? Array.from({ length: columns }, (_, i) => i);
  if (classes.length !== columns) {
    throw new PlumbError(
      'failed_precondition',
      `the model's output ${tensor.name} has ${columns} probability columns but ${classes.length} classes are declared`,
      { details: { output: tensor.name, columns, classes } },
    );
  }
  const data = tensor.data as ArrayLike<number>;
  const probabilities: number[][] = [];
  const labels: ClassLabel[] = [];
  for (let r = 0; r < options.rows; r++) {
    const row = new Array<number>(columns);
    if (width === 1) {
      row[0] = 1 - data[r]!;
      row[1] = data[r]!;
    } else {
      for (let c = 0, base = r * width; c < width; c++) row[c] = data[base + c]!;
    }
    let best = 0;
    for (let c = 1; c < columns; c++) if (row[c]! > row[best]!) best = c;
    probabilities.push(row);
    labels.push(classes[best]!);
  }
  return { labels, probabilities, classes };
}

function pickProbabilities(outputs: OutputTensor[], rows: number, name: string | undefined): OutputTensor {
  if (name !== undefined) {
    const named = outputs.find((o) => o.name === name);
    if (!named || !isProbabilityTensor(named, rows)) {
      throw new PlumbError('failed_precondition', `the model has no float [N, C] output named ${name}`);
    }
    return named;
  }
  const candidates = outputs.filter((o) => isProbabilityTensor(o, rows));
  const chosen = candidates.find((o) => /prob/i.test(o.name)) ?? candidates[0];
  if (!chosen) {
    throw new PlumbError(
      'failed_precondition',
      'the model has no probability output: expected a float tensor [N, C] or a ZipMap of class probabilities',
      { details: { outputs: outputs.map((o) => ({ name: o.name, type: o.type, dims: o.dims })) } },
    );
  }
  return chosen;
}

function isProbabilityTensor(o: OutputTensor, rows: number): boolean {
  return FLOAT_TYPES.has(o.type) && o.dims.length === 2 && o.dims[0] === rows && o.dims[1]! >= 1;
}
