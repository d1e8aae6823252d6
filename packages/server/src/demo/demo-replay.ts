import type { InferenceEventInput, ModelVersion } from '@plumb/sdk';
import { PlumbError } from '../core/errors.js';
import { rowAnswers } from '../modules/serving/served-output.js';
import { matrixOf } from '../modules/serving/version-runner.js';
import { OnnxModel } from '../runtime/onnx-model.js';
import { type AirportEncoding, MODEL_FEATURES } from './airport-encoding.js';
import { ENDPOINT } from './demo-champion.js';
import type { DemoContext } from './demo-context.js';
import type { DemoPlan } from './demo-plan.js';
import type { Flight, FlightsData } from './flights-data.js';

/** What the replay of one month sent, counted as it was sent (not read back from monitoring). */
export interface MonthReplay {
  month: string;
  predictions: number;
  /** Predictions already in the log from an earlier run of the demo. */
  alreadyLogged: number;
  labelled: number;
  delayedShare: number;
  meanScore: number;
  accuracy: number;
}

/** Events per request: with inputs and outputs an event is about 400 bytes of JSON, well under the body limit. */
const BATCH = 1000;

/**
 * Step 2: March–June as traffic for the champion, in compressed time, one day of flights after
 * another. Each prediction is logged with the flight's own departure time so monitoring windows
 * are real days and months; a prediction through the endpoint is stamped with the server's clock,
 * so the champion's answers are computed here on the very model file the endpoint serves (its
 * output shaped as serving shapes it) and posted to the inference log for the endpoint. Ground
 * truth follows `labelDelayHours` later as feedback. Event ids are derived from the month and
 * position, so a second run finds the months it already replayed.
 */
export async function replayTraffic(
  ctx: DemoContext,
  data: FlightsData,
  plan: DemoPlan,
  encoding: AirportEncoding,
  champion: ModelVersion,
): Promise<MonthReplay[]> {
  const model = await loadVersion(ctx, champion);
  const months: MonthReplay[] = [];
  try {
    // One scan of the file for every month.
    const from = monthRange(plan.months[0]!)[0];
    const to = monthRange(plan.months[plan.months.length - 1]!)[1];
    const flights = await data.sample(from, to, 0, plan.replayPerMille);
    for (const month of plan.months) {
      const inMonth = flights.filter((f) => f.time.startsWith(month));
      months.push(await replayMonth(ctx, model, champion, encoding, plan, month, inMonth));
    }
  } finally {
    await model.close();
  }
  return months;
}

async function replayMonth(
  ctx: DemoContext,
  model: OnnxModel,
  champion: ModelVersion,
  encoding: AirportEncoding,
  plan: DemoPlan,
  month: string,
  flights: Flight[],
): Promise<MonthReplay> {
  const tally = { predictions: 0, alreadyLogged: 0, labelled: 0, delayed: 0, score: 0, correct: 0 };
  const done = await replayedBefore(ctx, month, flights[flights.length - 1]?.time);
  let pendingLabels: { id: string; flight: Flight }[] = [];
  const ticks = groupByTick(flights);
  let index = 0;
  for (const [tickIndex, tick] of ticks.entries()) {
    for (let start = 0; start < tick.length; start += BATCH) {
      const batch = tick.slice(start, start + BATCH);
      const inputs = batch.map((f) => encoding.encode(f));
      const started = performance.now();
      const answers = rowAnswers(
        await model.run(matrixOf(inputs, [...MODEL_FEATURES]).data, batch.length),
        batch.length,
        model.classes,
      );
      const latencyMs = (performance.now() - started) / batch.length;
      const events: InferenceEventInput[] = batch.map((f, i) => ({
        id: eventId(month, index + i),
        time: f.time,
        endpoint: ENDPOINT,
        modelVersion: champion.ref,
        modelVersionId: champion.id,
        arm: 'primary',
        inputs: inputs[i],
        outputs: answers[i]!.output,
        label: answers[i]!.label === null ? null : String(answers[i]!.label),
        score: answers[i]!.score,
        confidence: answers[i]!.confidence,
        latencyMs,
        tags: { source: 'demo-replay' },
      }));
      index += batch.length;
      try {
        if (done) throw new PlumbError('already_exists', `${month} was replayed before`);
        await ctx.client.events.record({ events });
      } catch (error) {
        // The batch is all or nothing: already_exists means an earlier run stored all of it.
        if (!PlumbError.is(error, 'already_exists')) throw error;
        tally.alreadyLogged += batch.length;
      }
      batch.forEach((f, i) => {
        tally.predictions++;
        tally.score += answers[i]!.score ?? 0;
        if (f.delayed === 1) tally.delayed++;
        if (String(answers[i]!.label) === String(f.delayed)) tally.correct++;
        pendingLabels.push({ id: events[i]!.id!, flight: f });
      });
    }
    // Compressed time: flights get their ground truth once the traffic of their label's time is in.
    const nextTick = ticks[tickIndex + 1]?.[0]?.time;
    const due =
      nextTick === undefined
        ? pendingLabels
        : pendingLabels.filter((p) => labelTime(p.flight, plan) <= nextTick);
    if (due.length > 0) {
      if (!done) await sendLabels(ctx, plan, due);
      tally.labelled += due.length;
      const sent = new Set(due.map((p) => p.id));
      pendingLabels = pendingLabels.filter((p) => !sent.has(p.id));
    }
  }
  const n = Math.max(1, tally.predictions);
  const line = {
    month,
    predictions: tally.predictions,
    alreadyLogged: tally.alreadyLogged,
    labelled: tally.labelled,
    delayedShare: tally.delayed / n,
    meanScore: tally.score / n,
    accuracy: tally.correct / n,
  };
  ctx.say(
    `  ${month}: ${line.predictions} predictions${line.alreadyLogged ? ` (${line.alreadyLogged} logged by an earlier run)` : ''}, ${line.labelled} labels; delayed ${(100 * line.delayedShare).toFixed(1)} %, mean score ${line.meanScore.toFixed(3)}, champion accuracy ${line.accuracy.toFixed(3)}`,
  );
  return line;
}

/**
 * Whether an earlier run logged this month to its end, labels included: the month's newest
 * event is one of its flights at the last departure time, with feedback (the last labels are
 * sent after every event). Such a month is not sent again.
 */
async function replayedBefore(
  ctx: DemoContext,
  month: string,
  lastTime: string | undefined,
): Promise<boolean> {
  if (lastTime === undefined) return false;
  const [from, to] = monthRange(month);
  const newest = await ctx.client.events.list({
    endpoint: ENDPOINT,
    from: `${from}T00:00:00Z`,
    to: `${to}T00:00:00Z`,
    limit: 1,
  });
  const last = newest.items[0];
  if (!last) return false;
  return (
    last.id.startsWith(`prd_demo-${month}-`) &&
    Date.parse(last.time) === Date.parse(lastTime) &&
    last.feedback !== null
  );
}

function eventId(month: string, index: number): string {
  return `prd_demo-${month}-${String(index).padStart(6, '0')}`;
}

async function sendLabels(ctx: DemoContext, plan: DemoPlan, due: { id: string; flight: Flight }[]) {
  for (let start = 0; start < due.length; start += BATCH) {
    const feedback = due.slice(start, start + BATCH).map((p) => ({
      predictionId: p.id,
      label: String(p.flight.delayed),
      time: labelTime(p.flight, plan),
    }));
    const result = await ctx.client.events.feedback({ feedback });
    if (result.unknown.length > 0) {
      throw new PlumbError('internal', `feedback for ${result.unknown.length} predictions found no event`);
    }
  }
}

function labelTime(f: Flight, plan: DemoPlan): string {
  return new Date(Date.parse(f.time) + plan.labelDelayHours * 3_600_000).toISOString();
}

/**
 * Ticks of compressed time: whole days, as many together as fit in one request (a day larger
 * than that is one tick, sent in several), so a short replay is not a request per day.
 */
function groupByTick(flights: Flight[]): Flight[][] {
  const ticks: Flight[][] = [];
  let tick: Flight[] = [];
  let day = '';
  let dayStart = 0;
  flights.forEach((f, i) => {
    const key = f.time.slice(0, 10);
    if (key !== day) {
      day = key;
      dayStart = tick.length;
    }
    tick.push(f);
    const next = flights[i + 1];
    const dayEnds = !next || next.time.slice(0, 10) !== key;
    if (dayEnds && tick.length >= BATCH) {
      // Close before this day when it would overflow a tick that already holds other days.
      if (dayStart > 0 && tick.length > BATCH) {
        ticks.push(tick.slice(0, dayStart));
        tick = tick.slice(dayStart);
      }
      ticks.push(tick);
      tick = [];
      dayStart = 0;
    }
  });
  if (tick.length > 0) ticks.push(tick);
  return ticks;
}

/** `[first day, first day of the next month)` of `YYYY-MM`. */
export function monthRange(month: string): [string, string] {
  const start = new Date(`${month}-01T00:00:00Z`);
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  return [start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}

/** The version's ONNX file as the endpoint loads it, read back from Plumb's blob store. */
async function loadVersion(ctx: DemoContext, version: ModelVersion): Promise<OnnxModel> {
  if (version.artifact.kind !== 'onnx') {
    throw new PlumbError('failed_precondition', `${version.ref} is not an ONNX model`);
  }
  const stream = await ctx.client.blobs.download(version.artifact.blobRef);
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  return OnnxModel.load(bytes);
}
