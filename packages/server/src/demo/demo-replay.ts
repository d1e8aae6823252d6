import type { InferenceEvent } from '@plumb/sdk';
import { PlumbError } from '../core/errors.js';
import type { AirportEncoding } from './airport-encoding.js';
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

/** Told after each tick of compressed time: the traffic and the labels due before `until` are in. */
export type ReplayClock = (until: string) => Promise<void>;

/** The most rows one predict request carries (the endpoint's limit). */
const BATCH = 1000;
/** The tag every replayed request carries, so a later run finds what an earlier one sent. */
export const REPLAY_TAG = { source: 'demo-replay' };

type Tally = { predictions: number; labelled: number; delayed: number; score: number; correct: number };

/**
 * Step 2: March–June as traffic for the champion, in compressed time, one day of flights after
 * another, through the endpoint as any caller's traffic goes (routing, the served model file,
 * shadows, the inference log): each request carries the flights' own departure times, so
 * monitoring windows are real days and months. Ground truth follows `labelDelayHours` later as
 * feedback. After each tick `onTick` is told how far the replay clock got. What an earlier run
 * logged is read back from the log instead of sent again, flight by flight, so a replay stopped
 * midway goes on where it stopped.
 */
export async function replayTraffic(
  ctx: DemoContext,
  data: FlightsData,
  plan: DemoPlan,
  encoding: AirportEncoding,
  onTick?: ReplayClock,
): Promise<MonthReplay[]> {
  const months: MonthReplay[] = [];
  // One scan of the file for every month.
  const from = monthRange(plan.months[0]!)[0];
  const to = monthRange(plan.months[plan.months.length - 1]!)[1];
  const flights = await data.sample(from, to, 0, plan.replayPerMille);
  for (const month of plan.months) {
    const inMonth = flights.filter((f) => f.time.startsWith(month));
    months.push(await replayMonth(ctx, encoding, plan, month, inMonth, onTick));
  }
  return months;
}

async function replayMonth(
  ctx: DemoContext,
  encoding: AirportEncoding,
  plan: DemoPlan,
  month: string,
  flights: Flight[],
  onTick?: ReplayClock,
): Promise<MonthReplay> {
  const { logged, tally } = await loggedBefore(ctx, month);
  const alreadyLogged = tally.predictions;
  // Each flight an earlier run logged is matched to its event and not sent again; an event whose
  // label that run had not sent yet (it stopped within a day of it) gets it now.
  const toSend: Flight[] = [];
  const unlabelled: { id: string; flight: Flight; label: string | null }[] = [];
  for (const f of flights) {
    const e = logged.get(flightKey(f.time, f))?.pop();
    if (!e) toSend.push(f);
    else if (e.feedback === null) unlabelled.push({ id: e.id, flight: f, label: e.label });
  }
  if (unlabelled.length > 0) {
    await sendLabels(ctx, plan, unlabelled);
    for (const u of unlabelled) {
      tally.labelled++;
      if (u.flight.delayed === 1) tally.delayed++;
      if (u.label === String(u.flight.delayed)) tally.correct++;
    }
  }
  if (toSend.length > 0) await sendMonth(ctx, encoding, plan, month, toSend, tally, onTick);
  else if (onTick) await onTick(monthEnd(month));
  const n = Math.max(1, tally.predictions);
  const line = {
    month,
    predictions: tally.predictions,
    alreadyLogged,
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

/** Sends the flights through the endpoint tick by tick, their labels once the replay clock passes their time. */
async function sendMonth(
  ctx: DemoContext,
  encoding: AirportEncoding,
  plan: DemoPlan,
  month: string,
  flights: Flight[],
  tally: Tally,
  onTick?: ReplayClock,
): Promise<void> {
  let pendingLabels: { id: string; flight: Flight }[] = [];
  const ticks = groupByTick(flights);
  for (const [tickIndex, tick] of ticks.entries()) {
    for (let start = 0; start < tick.length; start += BATCH) {
      const batch = tick.slice(start, start + BATCH);
      const answered = await predictAt(ctx, encoding, batch, month);
      batch.forEach((f, i) => {
        const p = answered[i]!;
        tally.predictions++;
        tally.labelled++;
        tally.score += p.score ?? 0;
        if (f.delayed === 1) tally.delayed++;
        if (String(p.label) === String(f.delayed)) tally.correct++;
        pendingLabels.push({ id: p.predictionId, flight: f });
      });
    }
    // Compressed time: flights get their ground truth once the traffic of their label's time is in.
    const nextTick = ticks[tickIndex + 1]?.[0]?.time;
    const due =
      nextTick === undefined
        ? pendingLabels
        : pendingLabels.filter((p) => labelTime(p.flight, plan) <= nextTick);
    if (due.length > 0) {
      await sendLabels(ctx, plan, due);
      const sent = new Set(due.map((p) => p.id));
      pendingLabels = pendingLabels.filter((p) => !sent.has(p.id));
    }
    if (onTick) {
      const last = tick[tick.length - 1]!.time;
      await onTick(nextTick === undefined ? monthEnd(month) : nextDay(last));
    }
  }
}

/** One predict request for the flights, logged at their departure times; the endpoint's answers in order. */
export async function predictAt(
  ctx: DemoContext,
  encoding: AirportEncoding,
  flights: Flight[],
  month: string,
) {
  const response = await ctx.client.endpoints.predict(ENDPOINT, {
    inputs: flights.map((f) => ({ ...encoding.encode(f) })),
    time: flights.map((f) => f.time),
    tags: { ...REPLAY_TAG, month },
  });
  return response.predictions;
}

/**
 * What an earlier run logged of this month: its primary predictions counted (labels, the
 * champion's answers against them) and held by flight (departure time, airports, distance).
 */
async function loggedBefore(
  ctx: DemoContext,
  month: string,
): Promise<{ logged: Map<string, InferenceEvent[]>; tally: Tally }> {
  const [from, to] = monthRange(month);
  const tally: Tally = { predictions: 0, labelled: 0, delayed: 0, score: 0, correct: 0 };
  const logged = new Map<string, InferenceEvent[]>();
  const query = {
    endpoint: ENDPOINT,
    arm: 'primary' as const,
    tag: `source:${REPLAY_TAG.source}`,
    from: `${from}T00:00:00Z`,
    to: `${to}T00:00:00Z`,
    limit: 500,
  };
  for await (const e of ctx.client.paginate((q) => ctx.client.events.list({ ...query, ...q }))) {
    const key = flightKey(e.time, e.inputs as Partial<Flight>);
    const same = logged.get(key);
    if (same) same.push(e);
    else logged.set(key, [e]);
    tally.predictions++;
    tally.score += e.score ?? 0;
    if (e.feedback?.label === undefined || e.feedback.label === null) continue;
    tally.labelled++;
    if (e.feedback.label === '1') tally.delayed++;
    if (e.label === e.feedback.label) tally.correct++;
  }
  return { logged, tally };
}

function flightKey(time: string, f: Partial<Flight>): string {
  return `${Date.parse(time)}|${f.origin}|${f.destination}|${f.distance}`;
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

/** The start of the day after `time`'s. */
function nextDay(time: string): string {
  const d = new Date(`${time.slice(0, 10)}T00:00:00Z`);
  return new Date(d.getTime() + 86_400_000).toISOString();
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

/** The first instant of the next month, ISO-8601. */
export function monthEnd(month: string): string {
  return `${monthRange(month)[1]}T00:00:00.000Z`;
}

/** `[first day, first day of the next month)` of `YYYY-MM`. */
export function monthRange(month: string): [string, string] {
  const start = new Date(`${month}-01T00:00:00Z`);
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  return [start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}
