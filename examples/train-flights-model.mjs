// Trains the flight-delay classifier of `plumb demo` (logistic regression on numeric columns of
// a CSV) and writes it as ONNX with its feature names in the metadata, so an endpoint feeds it
// named inputs. Built on the same trainer and exporter as train-weather-model.mjs; run after
// `npm run build`:
//   node examples/train-flights-model.mjs DATA.csv OUT.onnx [--features a,b,c] [--label delayed]
//        [--epochs 300] [--max-rows 20000] [--dataset flights@v1] [--name train-flights-model]
//        [--holdout-every 5 --holdout-dataset flights-traffic-eval]
//
// As a pipeline's train step (PLUMB_OUTPUTS set, no file named) it reads the step's `data` input
// (PLUMB_INPUT_DATA: a dataset's folder of CSV or JSONL files), writes the model in the step's
// folder and declares {model, run, holdout} as the step's outputs. With --holdout-every k, every
// k-th row is left out of training and added, through the SDK, as a version of --holdout-dataset
// (its parent the input), so the candidate can be evaluated on rows it never saw.
//
// The CSV is the simple kind `plumb demo` writes (a header, no quoted commas). --max-rows keeps
// every k-th row, so the same file always trains the same model. With a Plumb server to talk to
// (PLUMB_URL and PLUMB_API_KEY, or PLUMB_HOME/credentials) it logs a run: params, training
// accuracy and log loss, and the dataset version it read; then prints the run id alone on stdout.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PlumbClient } from '@plumb/sdk';
import { exportLogisticRegression } from './dist/logistic-onnx.js';
import { LogisticRegression } from './dist/train-logistic.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    features: { type: 'string', default: 'distance,hour,weekday,origin_rate,destination_rate' },
    label: { type: 'string', default: 'delayed' },
    epochs: { type: 'string', default: '300' },
    'max-rows': { type: 'string', default: '20000' },
    dataset: { type: 'string' },
    name: { type: 'string', default: 'train-flights-model' },
    'holdout-every': { type: 'string', default: '0' },
    'holdout-dataset': { type: 'string' },
  },
});
const inPipeline = positionals.length === 0 && process.env.PLUMB_OUTPUTS && process.env.PLUMB_INPUT_DATA;
const [csvPath, out = 'flights-model.onnx'] = inPipeline
  ? [process.env.PLUMB_INPUT_DATA, join(process.env.PLUMB_WORK_DIR || '.', 'model.onnx')]
  : positionals;
const datasetRef = flags.dataset ?? (inPipeline ? process.env.PLUMB_INPUT_DATA_REF : undefined);
const holdoutEvery = Number(flags['holdout-every']);
if (!csvPath) {
  process.stderr.write(
    'usage: train-flights-model.mjs DATA.csv OUT.onnx [--features a,b] [--dataset name@vN]\n',
  );
  process.exit(2);
}
const features = flags.features.split(',');
const params = {
  epochs: Number(flags.epochs),
  learningRate: 0.5,
  seed: 7,
  maxRows: Number(flags['max-rows']),
};
const say = (line) => process.stderr.write(`${line}\n`);

function connection() {
  const file = join(process.env.PLUMB_HOME || '.plumb', 'credentials');
  const saved = !process.env.PLUMB_API_KEY && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const apiKey = process.env.PLUMB_API_KEY || saved.apiKey;
  const url = process.env.PLUMB_URL || saved.url || 'http://127.0.0.1:7070';
  return apiKey ? { url, apiKey } : null;
}

/** Records of a CSV (the simple kind: no quoted commas) or JSONL file, or of every such file in a folder. */
function readRecords(path) {
  if (statSync(path).isDirectory()) {
    return readdirSync(path)
      .filter((f) => /\.(csv|jsonl)$/.test(f))
      .sort()
      .flatMap((f) => readRecords(join(path, f)));
  }
  const text = readFileSync(path, 'utf8').trim();
  if (path.endsWith('.jsonl')) return text.split('\n').map((line) => JSON.parse(line));
  const [header, ...lines] = text.split('\n');
  const columns = header.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
  });
}

/**
 * Rows as numbers for `features` and text for the label; a row missing a value is refused.
 * Every k-th row goes to the holdout instead when --holdout-every is set; of the rest, every
 * n-th is kept so that at most --max-rows train.
 */
function readRows(path) {
  const records = readRecords(path);
  const holdout = [];
  const kept = [];
  records.forEach((r, i) => {
    if (holdoutEvery > 0 && i % holdoutEvery === 0) holdout.push(r);
    else kept.push(r);
  });
  const step = Math.max(1, Math.ceil(kept.length / params.maxRows));
  const x = [];
  const y = [];
  for (let i = 0; i < kept.length; i += step) {
    const r = kept[i];
    const row = features.map((f) => Number(r[f]));
    const label = r[flags.label];
    if (row.some((v) => !Number.isFinite(v)) || label === undefined || label === null || label === '') {
      throw new Error(`${path} row ${i + 1}: a feature or the label is empty or not a number`);
    }
    x.push(row);
    y.push(String(label));
  }
  return { x, y, total: records.length, holdout };
}

/** The held-out rows as a CSV dataset version whose parent is the training input. */
async function addHoldout(rows) {
  const columns = [...features, 'origin', 'destination', flags.label].filter(
    (c, i, all) => all.indexOf(c) === i,
  );
  const csv = `${[columns.join(','), ...rows.map((r) => columns.map((c) => String(r[c] ?? '')).join(','))].join('\n')}\n`;
  const blob = await plumb.blobs.upload(new TextEncoder().encode(csv));
  const { version } = await plumb.datasets.addVersion(flags['holdout-dataset'], {
    files: [{ path: 'holdout.csv', ref: blob.ref }],
    message: `every ${holdoutEvery}th row of ${datasetRef ?? csvPath}, kept out of training for evaluation`,
    parents: datasetRef ? [datasetRef] : [],
    tags: { holdout_of: datasetRef ?? '', run: run?.id ?? '' },
  });
  return version.ref;
}

const target = connection();
const plumb = target && new PlumbClient(target);
if (!plumb) say('not logging a run: set PLUMB_API_KEY, or run where `plumb serve` wrote .plumb/credentials');
const run =
  plumb &&
  (await plumb.runs.create({
    name: flags.name,
    params: { ...params, features: features.join(','), label: flags.label, model: 'logistic_regression' },
    inputs: datasetRef ? [datasetRef] : [],
  }));

try {
  const started = performance.now();
  const { x, y, total, holdout } = readRows(csvPath);
  const model = LogisticRegression.fit(x, y, params);
  writeFileSync(out, exportLogisticRegression(model, features));
  let correct = 0;
  let logLoss = 0;
  x.forEach((row, i) => {
    const p = model.predictProbabilities(row);
    const truth = model.classes.indexOf(y[i]);
    if (model.predict(row) === y[i]) correct++;
    logLoss -= Math.log(Math.max(p[truth], 1e-15));
  });
  const accuracy = correct / x.length;
  const seconds = (performance.now() - started) / 1000;
  say(`wrote ${out}: features [${features.join(', ')}], classes ${model.classes.join(', ')}`);
  say(`trained on ${x.length} of ${total} rows in ${seconds.toFixed(1)} s: accuracy ${accuracy.toFixed(3)}`);
  if (run) {
    await plumb.runs.logMetrics(run.id, {
      points: [
        { key: 'train_accuracy', value: accuracy, step: params.epochs },
        { key: 'train_log_loss', value: logLoss / x.length, step: params.epochs },
        { key: 'train_rows', value: x.length, step: params.epochs },
      ],
    });
    await plumb.runs.finish(run.id, { status: 'finished' });
    say(`logged run ${run.id}${datasetRef ? ` (read ${datasetRef})` : ''}`);
    const held = holdout.length > 0 && flags['holdout-dataset'] ? await addHoldout(holdout) : null;
    if (held) say(`kept ${holdout.length} rows out of training: ${held}`);
    if (inPipeline) {
      const outputs = { model: { file: out }, run: run.id, ...(held ? { holdout: { dataset: held } } : {}) };
      writeFileSync(process.env.PLUMB_OUTPUTS, JSON.stringify(outputs));
    }
    process.stdout.write(`${run.id}\n`);
  }
} catch (error) {
  if (run) await plumb.runs.finish(run.id, { status: 'failed' }).catch(() => {});
  throw error;
}
