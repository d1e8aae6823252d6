import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetVersion, EvalRun, ModelVersion } from '@plumb/sdk';
import { PlumbError } from '../core/errors.js';
import { AirportEncoding, type AirportEncodingTable } from './airport-encoding.js';
import type { DemoContext } from './demo-context.js';
import type { DemoPlan } from './demo-plan.js';
import {
  addDataset,
  evaluate,
  failedLines,
  findVersion,
  flightsSuite,
  gateSuite,
  register,
  sliceLines,
  validate,
} from './demo-steps.js';
import { trainWithExample } from './demo-trainer.js';
import { labelled, writeFlightsCsv } from './flights-csv.js';
import type { FlightsData } from './flights-data.js';

export const MODEL = 'flights-delay';
export const ENDPOINT = 'flights';

export interface Champion {
  train: DatasetVersion;
  holdout: DatasetVersion;
  encoding: AirportEncoding;
  /** The version in service as champion. */
  version: ModelVersion;
  /** The evaluation that admitted it; null when an earlier run of the demo did. */
  evalRun: EvalRun | null;
}

/**
 * Step 1: January–February 2001 as a dataset (and a disjoint holdout), validated, a model
 * trained on it by the example trainer with its run logged, registered, evaluated with slices,
 * promoted to champion through the gate, and served on the `flights` endpoint. What an earlier
 * run already made is found and reused.
 */
export async function buildChampion(ctx: DemoContext, data: FlightsData, plan: DemoPlan): Promise<Champion> {
  const { say } = ctx;
  const janFeb = await data.sample('2001-01-01', '2001-03-01', 0, plan.trainPerMille + plan.holdoutPerMille);
  const trainFlights = janFeb.filter((f) => f.bucket < plan.trainPerMille);
  const holdoutFlights = janFeb.filter((f) => f.bucket >= plan.trainPerMille);
  const encoding = loadOrFitEncoding(join(ctx.dir, 'airport-encoding.json'), trainFlights);
  const trainCsv = join(ctx.dir, 'flights-2001-01-02.csv');
  const holdoutCsv = join(ctx.dir, 'flights-2001-01-02-holdout.csv');
  writeFlightsCsv(
    trainCsv,
    trainFlights.map((f) => labelled(encoding, f)),
  );
  writeFlightsCsv(
    holdoutCsv,
    holdoutFlights.map((f) => labelled(encoding, f)),
  );

  const message = `January–February 2001, ${plan.trainPerMille}‰ sample of flights-3m.parquet`;
  const train = await addDataset(ctx, 'flights', trainCsv, { message, tags: { months: '2001-01..2001-02' } });
  const holdout = await addDataset(ctx, 'flights-holdout', holdoutCsv, {
    message: `January–February 2001, a disjoint ${plan.holdoutPerMille}‰ sample for evaluation`,
    tags: { months: '2001-01..2001-02' },
  });
  say(
    `  dataset ${train.version.ref}: ${train.version.rowCount} flights${train.created ? '' : ' (already there)'}; holdout ${holdout.version.ref}: ${holdout.version.rowCount}`,
  );
  const report = await validate(
    ctx,
    train.version.ref,
    flightsSuite(Math.floor(train.version.rowCount * 0.9)),
  );
  say(
    `  validation of ${train.version.ref}: ${report.passed ? 'passed' : 'FAILED'} (${report.results.length} expectations)`,
  );
  for (const line of failedLines(report)) say(line);
  if (!report.passed) throw new PlumbError('failed_precondition', `${train.version.ref} failed validation`);

  const description = `champion candidate trained on ${train.version.ref}`;
  const onnxFile = join(ctx.dir, 'flights-delay-jan-feb.onnx');
  let version = await findVersion(ctx, MODEL, description);
  let evalRun: EvalRun | null = null;
  if (!version) {
    const runId = await trainWithExample(ctx, {
      csv: trainCsv,
      out: onnxFile,
      dataset: train.version.ref,
      runName: 'flights-jan-feb',
      maxRows: plan.trainRows,
    });
    version = await register(ctx, MODEL, onnxFile, runId, description);
    say(`  registered ${version.ref} (run ${runId})`);
  } else {
    say(`  ${version.ref} was trained on ${train.version.ref} before: reusing it (run ${version.runId})`);
  }
  // A champion an approver moved on in an earlier run stays: the demo never moves it back.
  if (!(await ctx.client.models.get(MODEL)).aliases.champion) {
    evalRun = await evaluate(ctx, gateSuite('flights-gate', holdout.version.ref), version.ref, null);
    say(
      `  evaluation ${evalRun.id} on ${holdout.version.ref}: gate ${evalRun.decision?.passed ? 'passed' : 'failed'}`,
    );
    for (const line of sliceLines(evalRun)) say(line);
    for (const reason of evalRun.decision?.reasons ?? []) say(`      gate: ${reason}`);
    const outcome = await ctx.client.models.promote(version.ref, { reason: 'first model, gate passed' });
    if (outcome.outcome !== 'moved') {
      throw new PlumbError('failed_precondition', `promotion of ${version.ref} waits for approval`);
    }
  }
  version = await ctx.client.models.version(`${MODEL}@champion`);
  say(`  ${MODEL}@champion = ${version.ref}`);

  const endpoint = await ctx.client.endpoints.get(ENDPOINT).catch(() => null);
  if (!endpoint) {
    await ctx.client.endpoints.create({
      name: ENDPOINT,
      description: 'delay > 15 min for a departing flight',
      routes: [{ target: `${MODEL}@champion`, weight: 1 }],
    });
  }
  say(`  endpoint ${ENDPOINT} serves ${MODEL}@champion${endpoint ? ' (already there)' : ''}`);
  return { train: train.version, holdout: holdout.version, encoding, version, evalRun };
}

/** The encoding table of the first run, so later runs (and retrained models) read the same features. */
function loadOrFitEncoding(
  path: string,
  flights: Parameters<typeof AirportEncoding.fit>[0],
): AirportEncoding {
  if (existsSync(path))
    return new AirportEncoding(JSON.parse(readFileSync(path, 'utf8')) as AirportEncodingTable);
  const encoding = AirportEncoding.fit(flights);
  writeFileSync(path, `${JSON.stringify(encoding.table, null, 2)}\n`);
  return encoding;
}
