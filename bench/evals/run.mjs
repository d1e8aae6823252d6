// Evaluation throughput: rows per second through batched ONNX inference over a DuckDB scan, for
// one model and for a candidate and a baseline together (what `plumb eval run` does), with the
// time split between scan, inference and metrics. Data: flights-3m.parquet, where a logistic
// regression predicts `delay > 15` from distance and hour of day. Run after `npm run build`:
//   node bench/evals/run.mjs [batch-size=4096] [rows=all]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { exportLogisticRegression } from '../../examples/dist/logistic-onnx.js';
import { LogisticRegression } from '../../examples/dist/train-logistic.js';
import { collectPredictions } from '../../packages/server/dist/modules/evals/eval-runner.js';
import { scoreCollected } from '../../packages/server/dist/modules/evals/eval-scoring.js';
import { parseEvalSuite } from '../../packages/server/dist/modules/evals/eval-suite.js';
import { OnnxModel } from '../../packages/server/dist/runtime/onnx-model.js';
import { AnalyticsEngine } from '../../packages/server/dist/storage/analytics/duckdb-engine.js';

const batchSize = Number(process.argv[2] ?? 4096);
const limit = process.argv[3] ? Number(process.argv[3]) : null;
const flights = fileURLToPath(
  new URL('../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url),
);
const dir = mkdtempSync(join(tmpdir(), 'plumb-bench-evals-'));
const file = join(dir, 'flights-eval.parquet');
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
const fmt = (n) => Math.round(n).toLocaleString('en');
let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

const SUITE = `
name: flights-delay
datasets: [flights@v1]
label: delayed
task: classification
positive_label: "true"
features: [distance, hour]
slices:
  - { name: long-haul, where: "distance >= 1500" }
  - { name: evening, where: "hour >= 18" }
# roc_auc sorts every row's score: about 1.5 s of the metrics time per 3 M rows.
metrics: [accuracy, f1, roc_auc, brier_score]
gate:
  significance: { test: mcnemar }
`;

try {
  console.log(`node ${process.version}, batch size ${batchSize}`);
  // The label and the hour are derived once, outside the measurement, into a file the
  // evaluation reads as a dataset version's parquet file.
  let start = process.hrtime.bigint();
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  const quoted = (p) => `'${p.replaceAll("'", "''")}'`;
  await connection.run(
    `COPY (SELECT CAST(distance AS DOUBLE) AS distance, CAST(hour(date) AS DOUBLE) AS hour, delay > 15 AS delayed
       FROM read_parquet(${quoted(flights)}) WHERE delay IS NOT NULL ${limit ? `LIMIT ${limit}` : ''})
     TO ${quoted(file)} (FORMAT parquet)`,
  );
  const sample = (
    await connection.runAndReadAll(
      `SELECT distance, hour, delayed FROM read_parquet(${quoted(file)}) USING SAMPLE 20000 ROWS (reservoir, 42)`,
    )
  ).getRowObjects();
  const rows = Number(
    (await connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${quoted(file)})`)).getRows()[0][0],
  );
  connection.closeSync();
  duck.closeSync();
  console.log(`prepared ${fmt(rows)} rows in ${seconds(start).toFixed(1)} s`);

  // Two models that differ: all of the sample for 300 steps, and a quarter of it for 50.
  const x = sample.map((r) => [r.distance, r.hour]);
  const y = sample.map((r) => String(r.delayed));
  start = process.hrtime.bigint();
  const candidate = LogisticRegression.fit(x, y, { epochs: 300, learningRate: 0.5, seed: 7 });
  const baseline = LogisticRegression.fit(x.slice(0, 5000), y.slice(0, 5000), {
    epochs: 50,
    learningRate: 0.5,
    seed: 7,
  });
  console.log(
    `trained two logistic regressions on ${fmt(sample.length)} sampled rows in ${seconds(start).toFixed(1)} s`,
  );
  const models = await Promise.all(
    [candidate, baseline].map((m) => OnnxModel.load(exportLogisticRegression(m, ['distance', 'hour']))),
  );

  const engine = await AnalyticsEngine.open({ allowedDirectories: [dir] });
  const { spec } = parseEvalSuite(SUITE);
  const source = {
    ref: 'flights@v1',
    role: 'data',
    source: { format: 'parquet', paths: [file] },
    schema: [
      { name: 'distance', type: 'DOUBLE' },
      { name: 'hour', type: 'DOUBLE' },
      { name: 'delayed', type: 'BOOLEAN' },
    ],
    rows,
  };
  for (const count of [1, 2]) {
    const plan = {
      task: spec.task,
      label: spec.label,
      positiveLabel: spec.positiveLabel,
      slices: spec.slices,
      groupColumns: [],
      sources: [source],
      models: models.slice(0, count).map((model) => ({ model, columns: ['distance', 'hour'] })),
      batchSize,
      keepAllProbabilities: false,
    };
    peakRss = process.memoryUsage().rss;
    const rssBefore = peakRss;
    start = process.hrtime.bigint();
    const collected = await collectPredictions(engine, plan);
    const t0 = performance.now();
    const scored = scoreCollected(
      count === 2 ? spec : { ...spec, gate: { ...spec.gate, significance: null } },
      collected,
    );
    const metricsMs = performance.now() - t0;
    const total = seconds(start);
    const { scanMs, inferenceMs } = collected.timings;
    const overall = scored.slices[0];
    console.log(
      `\n${count === 1 ? 'one model' : 'candidate + baseline'}: ${fmt(collected.rows)} rows in ${total.toFixed(2)} s = ${fmt(collected.rows / total)} rows/s end to end`,
    );
    const predictSeconds = (scanMs + inferenceMs) / 1000;
    console.log(
      `  through the models (scan + inference, before metrics): ${fmt(collected.rows / predictSeconds)} rows/s`,
    );
    console.log(
      `  scan + batch assembly ${(scanMs / 1000).toFixed(2)} s (${((100 * scanMs) / 1000 / total).toFixed(0)}%), ` +
        `inference ${(inferenceMs / 1000).toFixed(2)} s (${((100 * inferenceMs) / 1000 / total).toFixed(0)}%, ${fmt((collected.rows * count) / (inferenceMs / 1000))} model-rows/s), ` +
        `metrics ${(metricsMs / 1000).toFixed(2)} s (${((100 * metricsMs) / 1000 / total).toFixed(0)}%)`,
    );
    console.log(
      `  overall accuracy ${overall.candidate.accuracy.toFixed(4)}, roc_auc ${overall.candidate.roc_auc.toFixed(4)}` +
        (count === 2
          ? `; baseline ${overall.baseline.accuracy.toFixed(4)}; McNemar p = ${scored.significance.pValue.toExponential(2)}`
          : '') +
        `; peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB (+${((peakRss - rssBefore) / 1024 / 1024).toFixed(0)} MB)`,
    );
  }
  engine.close();
  await Promise.all(models.map((m) => m.close()));
} finally {
  clearInterval(sampler);
  rmSync(dir, { recursive: true, force: true });
}
