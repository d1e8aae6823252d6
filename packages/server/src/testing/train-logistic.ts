export interface LogisticTrainOptions {
  /** Full-batch gradient steps. */
  epochs?: number;
  learningRate?: number;
  /** L2 penalty on the weights (not the biases). */
  l2?: number;
  /** Seeds the initial weights, so the same data and options give the same model. */
  seed?: number;
}

/**
 * Multinomial logistic regression trained by full-batch gradient descent on standardized
 * features: small, deterministic, and exact enough to check an ONNX export against. Classes are
 * the sorted distinct labels, as scikit-learn orders them.
 */
export class LogisticRegression {
  private constructor(
    readonly classes: string[],
    /** Per feature: the training mean and standard deviation used to standardize. */
    readonly mean: number[],
    readonly scale: number[],
    /** [feature][class] */
    readonly weights: number[][],
    readonly bias: number[],
  ) {}

  static fit(x: number[][], y: string[], options: LogisticTrainOptions = {}): LogisticRegression {
    const { epochs = 500, learningRate = 0.5, l2 = 1e-4, seed = 1 } = options;
    if (x.length === 0 || x.length !== y.length)
      throw new RangeError('need as many labels as rows, and rows');
    const classes = [...new Set(y)].sort();
    const features = x[0]!.length;
    const n = x.length;
    const mean = Array.from({ length: features }, (_, f) => x.reduce((s, r) => s + r[f]!, 0) / n);
    const scale = mean.map((m, f) => {
      const sd = Math.sqrt(x.reduce((s, r) => s + (r[f]! - m) ** 2, 0) / n);
      // A constant feature carries no signal; dividing by 1 keeps it finite.
      return sd > 0 ? sd : 1;
    });
    const z = x.map((r) => r.map((v, f) => (v - mean[f]!) / scale[f]!));
    const target = y.map((label) => classes.indexOf(label));

    const random = mulberry32(seed);
    const weights = Array.from({ length: features }, () => classes.map(() => (random() - 0.5) * 0.02));
    const bias = classes.map(() => 0);
    const model = new LogisticRegression(classes, mean, scale, weights, bias);

    for (let epoch = 0; epoch < epochs; epoch++) {
      const gradW = weights.map((row) => row.map(() => 0));
      const gradB = bias.map(() => 0);
      for (let i = 0; i < n; i++) {
        const p = model.standardizedProbabilities(z[i]!);
        for (let c = 0; c < classes.length; c++) {
          const error = (p[c]! - (c === target[i] ? 1 : 0)) / n;
          gradB[c]! += error;
          for (let f = 0; f < features; f++) gradW[f]![c]! += error * z[i]![f]!;
        }
      }
      for (let f = 0; f < features; f++) {
        for (let c = 0; c < classes.length; c++) {
          weights[f]![c]! -= learningRate * (gradW[f]![c]! + l2 * weights[f]![c]!);
        }
      }
      for (let c = 0; c < classes.length; c++) bias[c]! -= learningRate * gradB[c]!;
    }
    return model;
  }

  /** Class probabilities for one row of raw (unstandardized) features, in `classes` order. */
  predictProbabilities(row: number[]): number[] {
    return this.standardizedProbabilities(row.map((v, f) => (v - this.mean[f]!) / this.scale[f]!));
  }

  predict(row: number[]): string {
    const p = this.predictProbabilities(row);
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
    return this.classes[best]!;
  }

  private standardizedProbabilities(z: number[]): number[] {
    const logits = this.bias.map((b, c) => z.reduce((s, v, f) => s + v * this.weights[f]![c]!, b));
    const max = Math.max(...logits);
    const exp = logits.map((l) => Math.exp(l - max));
    const sum = exp.reduce((s, v) => s + v, 0);
    return exp.map((v) => v / sum);
  }
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
