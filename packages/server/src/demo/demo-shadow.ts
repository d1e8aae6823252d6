import { PlumbError } from '../core/errors.js';
import type { AirportEncoding } from './airport-encoding.js';
import { ENDPOINT } from './demo-champion.js';
import type { DemoContext } from './demo-context.js';
import type { DemoPlan } from './demo-plan.js';
import { monthEnd } from './demo-replay.js';
import type { FlightsData } from './flights-data.js';

/** What went through the endpoint for the shadow. */
export interface ShadowReplay {
  from: string;
  to: string;
  predictions: number;
}

const DAYS = 7;
const BATCH = 1000;
const SHADOW_TAG = { source: 'demo-shadow-replay' };

/**
 * Flights of the last replayed week that the main replay did not send (the next sample buckets,
 * so no flight is sent twice), through the endpoint at their own times with their labels: the
 * candidate deployed as a shadow gets a copy of each request, as it would of live traffic.
 */
export async function replayForShadow(
  ctx: DemoContext,
  data: FlightsData,
  plan: DemoPlan,
  encoding: AirportEncoding,
): Promise<ShadowReplay> {
  const to = monthEnd(plan.months[plan.months.length - 1]!);
  const from = new Date(Date.parse(to) - DAYS * 86_400_000).toISOString();
  const flights = await data.sample(
    from.slice(0, 10),
    to.slice(0, 10),
    plan.replayPerMille,
    Math.min(1000, 2 * plan.replayPerMille),
  );
  for (let start = 0; start < flights.length; start += BATCH) {
    const batch = flights.slice(start, start + BATCH);
    const { predictions } = await ctx.client.endpoints.predict(ENDPOINT, {
      inputs: batch.map((f) => ({ ...encoding.encode(f) })),
      time: batch.map((f) => f.time),
      tags: SHADOW_TAG,
    });
    const result = await ctx.client.events.feedback({
      feedback: batch.map((f, i) => ({
        predictionId: predictions[i]!.predictionId,
        label: String(f.delayed),
        time: new Date(Date.parse(f.time) + plan.labelDelayHours * 3_600_000).toISOString(),
      })),
    });
    if (result.unknown.length > 0) {
      throw new PlumbError('internal', `feedback for ${result.unknown.length} predictions found no event`);
    }
  }
  ctx.say(
    `  ${flights.length} more flights of ${from.slice(0, 10)} – ${to.slice(0, 10)} (not in the replay's sample) through ${ENDPOINT}, so the shadow gets live copies`,
  );
  // The shadow answers after the response; its counters are read once its queue ran dry.
  await waitForShadowCopies(ctx, flights.length);
  return { from, to, predictions: flights.length };
}

async function waitForShadowCopies(ctx: DemoContext, expected: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { shadows } = await ctx.client.endpoints.shadows(ENDPOINT);
    const seen = Math.max(0, ...shadows.map((s) => s.compared + s.failed + s.dropped));
    if (seen >= expected || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
