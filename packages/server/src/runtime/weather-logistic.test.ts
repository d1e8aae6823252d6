import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exportLogisticRegression } from '../testing/logistic-onnx.js';
import { LogisticRegression, mulberry32 } from '../testing/train-logistic.js';
import { OnnxModel } from './onnx-model.js';

const CSV = new URL('../../../../node_modules/vega-datasets/data/seattle-weather.csv', import.meta.url);
const FEATURES = ['precipitation', 'temp_max', 'temp_min', 'wind'];

/** date,precipitation,temp_max,temp_min,wind,weather — the file has no quoting. */
function loadWeather(): { x: number[][]; y: string[] } {
  const [header, ...lines] = readFileSync(CSV, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  const index = (name: string) => columns.indexOf(name);
  const x: number[][] = [];
  const y: string[] = [];
  for (const line of lines) {
    const cells = line.split(',');
    x.push(FEATURES.map((f) => Number(cells[index(f)])));
    y.push(cells[index('weather')]!);
  }
  return { x, y };
}

/** Seeded shuffle, then 80 % to train and 20 % held out. */
function split(x: number[][], y: string[], seed: number) {
  const order = x.map((_, i) => i);
  const random = mulberry32(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cut = Math.floor(order.length * 0.8);
  const pick = (ids: number[]) => ({ x: ids.map((i) => x[i]!), y: ids.map((i) => y[i]!) });
  return { train: pick(order.slice(0, cut)), test: pick(order.slice(cut)) };
}

describe('a small real classifier trained on seattle-weather.csv', () => {
  const data = loadWeather();
  const { train, test } = split(data.x, data.y, 42);
  const model = LogisticRegression.fit(train.x, train.y, { epochs: 400, learningRate: 0.5, seed: 7 });
  const bytes = exportLogisticRegression(model, FEATURES);

  it('reads 1,461 days with the five weather classes', () => {
    expect(data.x).toHaveLength(1461);
    expect(model.classes).toEqual(['drizzle', 'fog', 'rain', 'snow', 'sun']);
  });

  it('training is deterministic', () => {
    const again = LogisticRegression.fit(train.x, train.y, { epochs: 400, learningRate: 0.5, seed: 7 });
    expect(again.weights).toEqual(model.weights);
    expect(exportLogisticRegression(again, FEATURES)).toEqual(bytes);
  });

  it('onnxruntime on the exported model predicts what the trainer predicts', async () => {
    const onnx = await OnnxModel.load(bytes);
    try {
      expect(onnx.signature).toEqual({
        inputs: [{ name: 'features', kind: 'tensor', elementType: 'float32', shape: ['N', 4] }],
        outputs: [
          { name: 'label', kind: 'tensor', elementType: 'int64', shape: ['N'] },
          { name: 'probabilities', kind: 'tensor', elementType: 'float32', shape: ['N', 5] },
        ],
      });
      expect(onnx.classes).toEqual(model.classes);

      const out = await onnx.classify(Float32Array.from(test.x.flat()), test.x.length);
      expect(out.classes).toEqual(model.classes);
      let maxDiff = 0;
      test.x.forEach((row, i) => {
        const expected = model.predictProbabilities(row);
        expected.forEach((p, c) => {
          maxDiff = Math.max(maxDiff, Math.abs(p - out.probabilities[i]![c]!));
        });
      });
      expect(maxDiff).toBeLessThan(1e-5);
      expect(out.labels).toEqual(test.x.map((row) => model.predict(row)));

      const accuracy = out.labels.filter((label, i) => label === test.y[i]).length / test.y.length;
      const counts = new Map<string, number>();
      for (const label of train.y) counts.set(label, (counts.get(label) ?? 0) + 1);
      const majority = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
      const baseline = test.y.filter((label) => label === majority).length / test.y.length;
      console.info(
        `weather logistic regression: held-out accuracy ${accuracy.toFixed(3)}, ` +
          `majority-class (${majority}) baseline ${baseline.toFixed(3)}, max |Δp| vs TypeScript ${maxDiff.toExponential(1)}`,
      );
      expect(accuracy).toBeGreaterThan(baseline + 0.2);
    } finally {
      await onnx.close();
    }
  });

  it("answers in the turn that asked, with onnxruntime's own outputs", async () => {
    const onnx = await OnnxModel.load(bytes);
    const ort = await import('onnxruntime-node');
    const reference = await ort.InferenceSession.create(bytes);
    try {
      const features = Float32Array.from(test.x.slice(0, 8).flat());
      let immediateRan = false;
      setImmediate(() => {
        immediateRan = true;
      });
      const outputs = await onnx.run(features, 8);
      // No turn of the event loop passed: a batch-1 prediction is not queued behind one.
      expect(immediateRan).toBe(false);
      const expected = await reference.run({ features: new ort.Tensor('float32', features, [8, 4]) });
      expect(outputs.map((o) => o.name)).toEqual(['label', 'probabilities']);
      for (const o of outputs) {
        expect(o.dims).toEqual(expected[o.name]!.dims);
        expect(o.type).toBe(expected[o.name]!.type);
        expect(Array.from(o.data as ArrayLike<number | bigint>)).toEqual(
          Array.from(expected[o.name]!.data as ArrayLike<number | bigint>),
        );
      }
    } finally {
      await Promise.all([onnx.close(), reference.release()]);
    }
  });

  it('batch inference throughput (printed, not asserted)', async () => {
    const onnx = await OnnxModel.load(bytes);
    try {
      const rows = 10_000;
      const features = new Float32Array(rows * 4);
      for (let r = 0; r < rows; r++) features.set(data.x[r % data.x.length]!, r * 4);
      await onnx.classify(features, rows);
      const batches = 20;
      let started = performance.now();
      for (let b = 0; b < batches; b++) await onnx.run(features, rows);
      const rawRate = (batches * rows) / ((performance.now() - started) / 1000);
      started = performance.now();
      for (let b = 0; b < batches; b++) await onnx.classify(features, rows);
      const classifyRate = (batches * rows) / ((performance.now() - started) / 1000);
      console.info(
        `logistic model, batches of ${rows}: run ${Math.round(rawRate).toLocaleString('en')} rows/s, ` +
          `classify ${Math.round(classifyRate).toLocaleString('en')} rows/s`,
      );
      expect(rawRate).toBeGreaterThan(0);
    } finally {
      await onnx.close();
    }
  });
});
