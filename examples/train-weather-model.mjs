// Trains a small weather classifier (multinomial logistic regression) on a CSV with the
// columns of seattle-weather.csv and writes it as an ONNX file, for trying the registry and
// evaluations without a Python toolchain. The trainer is test support, built into examples/dist
// (not into the server's dist) by `npm run build`; run after it:
//   node examples/train-weather-model.mjs [csv] [out.onnx] [epochs] [features]
//   node examples/train-weather-model.mjs weather.csv model-v1.onnx 400 precipitation,temp_max,temp_min,wind
import { readFileSync, writeFileSync } from 'node:fs';
import { exportLogisticRegression } from './dist/logistic-onnx.js';
import { LogisticRegression } from './dist/train-logistic.js';

const [
  csvPath = 'node_modules/vega-datasets/data/seattle-weather.csv',
  out = 'model.onnx',
  epochs = '400',
  list,
] = process.argv.slice(2);
const features = (list ?? 'precipitation,temp_max,temp_min,wind').split(',');

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
const model = LogisticRegression.fit(x, y, { epochs: Number(epochs), learningRate: 0.5, seed: 7 });
writeFileSync(out, exportLogisticRegression(model, features));
const correct = x.filter((row, i) => model.predict(row) === y[i]).length;
console.log(`wrote ${out}: input "features" = [${features.join(', ')}], classes ${model.classes.join(', ')}`);
console.log(`training accuracy ${(correct / x.length).toFixed(3)} on ${x.length} rows`);
