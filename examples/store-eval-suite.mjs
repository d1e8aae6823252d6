// Stores an evaluation suite over a dataset version a pipeline made, for the pipeline's next
// evaluate step: a command step of `plumb demo`'s retraining pipeline. The suite's YAML comes in
// the step's `suite` parameter with DATASET where the version goes; the version is the step's
// `data` input (PLUMB_INPUT_DATA_REF). Identical text keeps the suite's latest version.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlumbClient } from '@plumb/sdk';

const params = JSON.parse(process.env.PLUMB_PARAMS || '{}');
const dataset = process.env.PLUMB_INPUT_DATA_REF;
if (typeof params.suite !== 'string' || !dataset) {
  process.stderr.write('needs the step parameter suite and the input data (a dataset version)\n');
  process.exit(2);
}
const file = join(process.env.PLUMB_HOME || '.plumb', 'credentials');
const saved = !process.env.PLUMB_API_KEY && existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
const plumb = new PlumbClient({
  url: process.env.PLUMB_URL || saved.url || 'http://127.0.0.1:7070',
  apiKey: process.env.PLUMB_API_KEY || saved.apiKey,
});
const { suite, created } = await plumb.evals.createSuite(params.suite.replaceAll('DATASET', dataset));
process.stderr.write(`${created ? 'stored' : 'kept'} ${suite.ref} over ${dataset}\n`);
if (process.env.PLUMB_OUTPUTS) writeFileSync(process.env.PLUMB_OUTPUTS, JSON.stringify({ suite: suite.ref }));
