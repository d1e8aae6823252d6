import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PlumbError } from '../core/errors.js';
import { MODEL_FEATURES } from './airport-encoding.js';
import type { DemoContext } from './demo-context.js';

/** The example trainer, from src/demo or dist/demo alike. */
export const TRAINER = fileURLToPath(
  new URL('../../../../examples/train-flights-model.mjs', import.meta.url),
);

export interface TrainRequest {
  csv: string;
  out: string;
  /** The dataset version the CSV holds, recorded as the run's input. */
  dataset: string;
  runName: string;
  maxRows: number;
}

/**
 * Trains in a child process with the example trainer, as any training code would: it reads the
 * exported file, logs its run through the SDK under the demo's key and prints the run id. The
 * fit never runs on the event loop that answers HTTP.
 */
export async function trainWithExample(ctx: DemoContext, request: TrainRequest): Promise<string> {
  const built = fileURLToPath(new URL('../../../../examples/dist/train-logistic.js', import.meta.url));
  if (!existsSync(TRAINER) || !existsSync(built)) {
    throw new PlumbError(
      'failed_precondition',
      `the example trainer (${TRAINER}) or its build is missing; run npm run build first`,
    );
  }
  const args = [
    TRAINER,
    request.csv,
    request.out,
    '--features',
    MODEL_FEATURES.join(','),
    '--label',
    'delayed',
    '--max-rows',
    String(request.maxRows),
    '--dataset',
    request.dataset,
    '--name',
    request.runName,
  ];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, PLUMB_URL: ctx.url, PLUMB_API_KEY: ctx.demoKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  for (const line of stderr.trim().split('\n').filter(Boolean)) ctx.say(`    trainer: ${line}`);
  const runId = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !/^run_/.test(runId)) {
    throw new PlumbError('internal', `the trainer failed (exit ${code}): ${stderr.trim().slice(-500)}`);
  }
  return runId;
}
