// Trains a small weather classifier (multinomial logistic regression) on a CSV with the
// columns of seattle-weather.csv and writes it as an ONNX file, for trying the registry and
// evaluations without a Python toolchain. The trainer is test support, built into examples/dist
// (not into the server's dist) by `npm run build`; run after it:
//   node examples/train-weather-model.mjs [csv] [out.onnx] [epochs] [features] [--dataset name@vN]
//   node examples/train-weather-model.mjs weather.csv model-v1.onnx 400 precipitation,temp_max,temp_min,wind
//
// With a Plumb server to talk to (PLUMB_URL and PLUMB_API_KEY, or the .plumb/credentials file
// `plumb serve` writes), it logs the training as a run through the SDK: params, the training
// accuracy and, with --dataset, the dataset version it read. It then prints the run id alone on
// stdout (everything else goes to stderr), for `plumb model register … --run "$(…)"`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PlumbClient } from '@plumb/sdk';
import { exportLogisticRegression } from './dist/logistic-onnx.js';
import { LogisticRegression } from './dist/train-logistic.js';

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dataset: { type: 'string' },
    name: { type: 'string', default: 'train-weather-model' },
  },
});
const [
  csvPath = 'node_modules/vega-datasets/data/seattle-weather.csv',
  out = 'model.onnx',
  epochs = '400',
  list,
] = positionals;
const features = (list ?? 'precipitation,temp_max,temp_min,wind').split(',');
const params = { epochs: Number(epochs), learningRate: 0.5, seed: 7 };
const say = (line) => process.stderr.write(`${line}\n`);

/** Where the CLI would connect: PLUMB_URL and PLUMB_API_KEY, else PLUMB_HOME/credentials. */
function connection() {
  const file = join(process.env.PLUMB_HOME || '.plumb', 'credentials');
  const saved = !process.env.PLUMB_API_KEY && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const apiKey = process.env.PLUMB_API_KEY || saved.apiKey;
  const url = process.env.PLUMB_URL || saved.url || 'http://127.0.0.1:7070';
  return apiKey ? { url, apiKey } : null;
}

const target = connection();
const plumb = target && new PlumbClient(target);
if (!plumb) say('not logging a run: set PLUMB_API_KEY, or run where `plumb serve` wrote .plumb/credentials');
const run =
  plumb &&
  (await plumb.runs.create({
    name: flags.name,
    params: { ...params, features: features.join(','), data: csvPath },
    inputs: flags.dataset ? [flags.dataset] : [],
  }));

try {
  const [header, ...lines] = readFileSync(csvPath, 'utf8').trim().split('\n');
  const columns = header.split(',');
  const at = (name) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`${csvPath} has no column ${name}`);
    return i;
  };
  const x = [];
  const y = [];
  for (const line of lines) {
    const cells = line.split(',');
    x.push(features.map((f) => Number(cells[at(f)])));
    y.push(cells[at('weather')]);
  }
  const model = LogisticRegression.fit(x, y, params);
  writeFileSync(out, exportLogisticRegression(model, features));
  const accuracy = x.filter((row, i) => model.predict(row) === y[i]).length / x.length;
  say(`wrote ${out}: input "features" = [${features.join(', ')}], classes ${model.classes.join(', ')}`);
  say(`training accuracy ${accuracy.toFixed(3)} on ${x.length} rows`);
  if (run) {
    await plumb.runs.logMetrics(run.id, {
      points: [{ key: 'train_accuracy', value: accuracy, step: params.epochs }],
    });
    await plumb.runs.finish(run.id, { status: 'finished' });
    say(`logged run ${run.id}${flags.dataset ? ` (read ${flags.dataset})` : ''} at ${target.url}`);
    process.stdout.write(`${run.id}\n`);
  }
} catch (error) {
  if (run) await plumb.runs.finish(run.id, { status: 'failed' }).catch(() => {});
  throw error;
}
