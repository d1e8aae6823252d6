import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { DatasetVersion, ModelVersion } from '@plumb/sdk';
import { PlumbError } from '../core/errors.js';
import type { EncodedFlight } from './airport-encoding.js';
import { ENDPOINT } from './demo-champion.js';
import type { DemoContext } from './demo-context.js';
import { addDataset } from './demo-steps.js';
import { type LabelledFlight, writeFlightsCsv } from './flights-csv.js';

export interface Snapshot {
  train: DatasetVersion;
  eval: DatasetVersion;
  /** The exported training file, which the trainer reads. */
  trainFile: string;
  rows: number;
}

/**
 * Recent labelled traffic → two dataset versions: the predictions the endpoint logged in
 * [from, to) that have ground truth, with their inputs as logged and the label as fed back. One
 * in five (by a hash of the prediction id) is kept apart for evaluation, so the candidate is
 * judged on traffic it did not train on. The versions record where they came from in their
 * message and tags (endpoint, model version, time range).
 */
export async function snapshotTraffic(
  ctx: DemoContext,
  champion: ModelVersion,
  from: string,
  to: string,
): Promise<Snapshot> {
  const train: LabelledFlight[] = [];
  const held: LabelledFlight[] = [];
  const list = (q: { limit?: number; cursor?: string }) =>
    ctx.client.events.list({ ...q, endpoint: ENDPOINT, from, to });
  for await (const event of ctx.client.paginate(list, 500)) {
    if (!event.feedback?.label) continue;
    const inputs = event.inputs as EncodedFlight;
    const row: LabelledFlight = {
      time: event.time,
      ...pick(inputs),
      delayed: event.feedback.label === '1' ? 1 : 0,
    };
    const bucket = createHash('sha256').update(event.id).digest()[0]! % 5;
    (bucket === 0 ? held : train).push(row);
  }
  if (train.length === 0 || held.length === 0) {
    throw new PlumbError(
      'failed_precondition',
      `no labelled traffic on ${ENDPOINT} between ${from} and ${to}`,
    );
  }
  const byTime = (a: LabelledFlight, b: LabelledFlight) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0);
  train.sort(byTime);
  held.sort(byTime);
  const range = `${from.slice(0, 10)}..${to.slice(0, 10)}`;
  const tags = { endpoint: ENDPOINT, model_version: champion.ref, range };
  const trainFile = join(ctx.dir, `traffic-${range}.csv`);
  const evalFile = join(ctx.dir, `traffic-${range}-eval.csv`);
  writeFlightsCsv(trainFile, train);
  writeFlightsCsv(evalFile, held);
  const message = `labelled traffic of endpoint ${ENDPOINT} (${champion.ref}) ${range}`;
  const trainVersion = await addDataset(ctx, 'flights-traffic', trainFile, { message, tags });
  const evalVersion = await addDataset(ctx, 'flights-traffic-eval', evalFile, {
    message: `${message}, one in five kept for evaluation`,
    tags,
  });
  return {
    train: trainVersion.version,
    eval: evalVersion.version,
    trainFile,
    rows: train.length + held.length,
  };
}

function pick(i: EncodedFlight): EncodedFlight {
  return {
    distance: i.distance,
    hour: i.hour,
    weekday: i.weekday,
    origin: i.origin,
    destination: i.destination,
    origin_rate: i.origin_rate,
    destination_rate: i.destination_rate,
  };
}
