import { buildChampion, type Champion, ENDPOINT, MODEL } from './demo-champion.js';
import type { DemoContext } from './demo-context.js';
import { type DemoMonitoring, reportMonitoring } from './demo-monitoring.js';
import type { DemoPlan } from './demo-plan.js';
import { type MonthReplay, replayTraffic } from './demo-replay.js';
import { type Retraining, retrain } from './demo-retrain.js';
import { FlightsData } from './flights-data.js';

export interface DemoResult {
  champion: Champion;
  months: MonthReplay[];
  monitoring: DemoMonitoring;
  retraining: Retraining;
  /** Wall time of each step, in milliseconds. */
  timings: Record<string, number>;
}

/** Runs the loop once: champion, replayed traffic, monitoring, retraining up to the approval. */
export async function runDemo(ctx: DemoContext, plan: DemoPlan, dataFile?: string): Promise<DemoResult> {
  const timings: Record<string, number> = {};
  const step = async <T>(n: number, title: string, work: () => Promise<T>): Promise<T> => {
    ctx.say('');
    ctx.say(`[${n}/4] ${title}`);
    const started = performance.now();
    const result = await work();
    timings[title] = performance.now() - started;
    ctx.say(`  (${(timings[title] / 1000).toFixed(1)} s)`);
    return result;
  };
  const data = await FlightsData.open(dataFile);
  try {
    const champion = await step(
      1,
      'January–February 2001: dataset, validation, training, gate, champion, endpoint',
      () => buildChampion(ctx, data, plan),
    );
    const months = await step(2, `${plan.months.join(', ')} replayed as traffic, labels a day later`, () =>
      replayTraffic(ctx, data, plan, champion.encoding, champion.version),
    );
    const monitoring = await step(3, 'monitoring, alerts and retraining', async () => {
      const report = await reportMonitoring(ctx, plan);
      return report;
    });
    const retraining = await step(
      4,
      'retraining: snapshot → validate → train → evaluate vs champion → shadow → approval',
      () => retrain(ctx, champion.version, plan),
    );
    return { champion, months, monitoring, retraining, timings };
  } finally {
    data.close();
  }
}

/** What to look at and what to type once the loop has run. */
export function closingLines(result: DemoResult, url: string): string[] {
  const { retraining } = result;
  const lines = [
    '',
    `Plumb is serving at ${url} (web UI ${url}/). The endpoint answers:`,
    `  npx plumb predict ${ENDPOINT} --input '{"distance":733,"hour":18,"weekday":5,"origin":"ORD","destination":"LGA","origin_rate":0.25,"destination_rate":0.27}'`,
    `  npx plumb lineage model ${retraining.candidate.ref}`,
    `  npx plumb endpoint shadows ${ENDPOINT}`,
    `  npx plumb eval report ${retraining.evalRun.id} --html report.html`,
  ];
  if (retraining.request) {
    lines.push(
      '',
      `To promote ${retraining.candidate.ref} to ${MODEL}@champion, approve as yourself (the admin key in .plumb/credentials; the demo asked as plumb-demo):`,
      `  npx plumb model approve ${retraining.request.id} --comment "reviewed the gate and the slices"`,
    );
  } else {
    lines.push(
      '',
      `${retraining.candidate.ref} stays a shadow: ${retraining.refused ?? 'the gate refused it'}`,
    );
  }
  lines.push('', 'Ctrl-C stops the server; running the demo again reuses everything it made.');
  return lines;
}
