// Trains the flight-delay classifier of `plumb demo` (logistic regression on numeric columns of
// a CSV) and writes it as ONNX with its feature names in the metadata, so an endpoint feeds it
// named inputs. Built on the same trainer and exporter as train-weather-model.mjs; run after
// `npm run build`:
//   node examples/train-flights-model.mjs DATA.csv OUT.onnx [--features a,b,c] [--label delayed]
//        [--epochs 300] [--max-rows 20000] [--dataset flights@v1] [--name train-flights-model]
//
// The CSV is the simple kind `plumb demo` writes (a header, no quoted commas). --max-rows keeps
// every k-th row, so the same file always trains the same model. With a Plumb server to talk to
// (PLUMB_URL and PLUMB_API_KEY, or PLUMB_HOME/credentials) it logs a run: params, training
// accuracy and log loss, and the dataset version it read; then prints the run id alone on stdout.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
  },
});
const [csvPath, out = 'flights-model.onnx'] = positionals;
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

/** Rows as numbers for `features` and text for the label; a row missing a value is refused. */
function readRows(path) {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const columns = header.split(',');
  const at = (name) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`${path} has no column ${name}`);
    return i;
  };
  const featureAt = features.map(at);
  const labelAt = at(flags.label);
  const step = Math.max(1, Math.ceil(lines.length / params.maxRows));
  const x = [];
  const y = [];
  for (let i = 0; i < lines.length; i += step) {
    const cells = lines[i].split(',');
    const row = featureAt.map((c) => Number(cells[c]));
    if (row.some((v) => !Number.isFinite(v)) || !cells[labelAt]) {
      throw new Error(`${path} line ${i + 2}: a feature or the label is empty or not a number`);
    }
    x.push(row);
    y.push(cells[labelAt]);
  }
  return { x, y, total: lines.length };
}

const target = connection();
const plumb = target && new PlumbClient(target);
if (!plumb) say('not logging a run: set PLUMB_API_KEY, or run where `plumb serve` wrote .plumb/credentials');
const run =
  plumb &&
  (await plumb.runs.create({
    name: flags.name,
    params: { ...params, features: features.join(','), label: flags.label, model: 'logistic_regression' },
    inputs: flags.dataset ? [flags.dataset] : [],
  }));

try {
  const started = performance.now();
  const { x, y, total } = readRows(csvPath);
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
    say(`logged run ${run.id}${flags.dataset ? ` (read ${flags.dataset})` : ''}`);
    process.stdout.write(`${run.id}\n`);
  }
} catch (error) {
  if (run) await plumb.runs.finish(run.id, { status: 'failed' }).catch(() => {});
  throw error;
}
