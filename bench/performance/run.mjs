// Performance benchmark: an endpoint's performance series over a year, as the endpoint page reads
// it (daily windows), from stored hourly traffic windows and labelled outcomes. On a temporary
// SQLite file. Run after `npm run build`:
//   node bench/performance/run.mjs [hours=8760] [perHour=1] [versions=1] [labelledShare=1]
// Stores `hours` hourly traffic windows per model version (each with `perHour` predictions:
// latency sketch, score counts) and outcomes for `labelledShare` of the predictions, then times
// the year's read with 1d windows (a first read, which stores the days it merged, and later ones)
// and 1h windows, the fold job's roll-up, and a week's reads. Prints each read's cost (see
// INLINE_COST: a served Plumb merges costlier reads in a job).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../packages/server/dist/core/config.js';
import { createPlumb } from '../../packages/server/dist/main.js';
import { INLINE_COST } from '../../packages/server/dist/modules/performance/performance.service.js';
import { SCORE_BINS } from '../../packages/server/dist/modules/performance/traffic-fold.js';
import { QuantileSketch, Xoshiro128 } from '../../packages/stats/dist/index.js';

const hours = Number(process.argv[2] ?? 8_760);
const perHour = Number(process.argv[3] ?? 1);
const versions = Number(process.argv[4] ?? 1);
const labelledShare = Number(process.argv[5] ?? 1);
const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;
const rng = new Xoshiro128([4, 3, 2, 1]);
const u = () => rng.nextUint32() / 4294967296;

const home = mkdtempSync(join(tmpdir(), 'plumb-bench-performance-'));
const plumb = await createPlumb(loadConfig({ PLUMB_HOME: home }), { logger: false });
try {
  const boot = await plumb.services.keys.bootstrap(undefined);
  const projectId = boot.key.projectId;
  const db = plumb.db.kysely;
  let started = process.hrtime.bigint();
  let outcomesStored = 0;
  for (let v = 1; v <= versions; v++) {
    const model = `weather@v${v}`;
    const traffic = [];
    const outcomes = [];
    for (let h = 0; h < hours; h++) {
      const windowStart = T0 + h * HOUR;
      const sketch = new QuantileSketch({ k: 200 });
      const counts = {};
      for (let i = 0; i < perHour; i++) {
        const score = u();
        const label = score >= 0.5 ? 'rain' : 'dry';
        sketch.update(20 + 80 * u());
        const bins = counts[label] ?? {};
        counts[label] = bins;
        const bin = String(Math.min(SCORE_BINS - 1, Math.floor(score * SCORE_BINS)));
        bins[bin] = (bins[bin] ?? 0) + 1;
        if (u() < labelledShare) {
          outcomes.push({
            prediction_id: `prd_${v}_${h}_${i}`,
            project_id: projectId,
            endpoint: 'weather-api',
            model_version: model,
            time: windowStart + Math.floor((i / perHour) * HOUR),
            predicted_label: label,
            score,
            actual_label: u() < score ? 'rain' : 'dry',
            actual_value: null,
            segments: JSON.stringify({ city: `city-${i % 7}` }),
            received_at: windowStart + HOUR,
          });
        }
      }
      traffic.push({
        project_id: projectId,
        endpoint: 'weather-api',
        model_version: model,
        window_start: windowStart,
        predictions: perHour,
        errors: Math.floor(u() * 2),
        fallbacks: 0,
        cost_usd: 0.001 * perHour,
        prompt_tokens: 3 * perHour,
        completion_tokens: perHour,
        latency: Buffer.from(sketch.serialize()).toString('base64'),
        scores: JSON.stringify(counts),
      });
    }
    for (let i = 0; i < traffic.length; i += 500)
      await db
        .insertInto('performance_traffic')
        .values(traffic.slice(i, i + 500))
        .execute();
    await plumb.services.performance.repo.upsertOutcomes(outcomes);
    outcomesStored += outcomes.length;
  }
  console.log(
    `stored ${hours * versions} hourly traffic windows (${perHour}/h, ${versions} version(s)) and ${outcomesStored} outcomes in ${Math.round(ms(started))} ms`,
  );
  const perf = plumb.services.performance;
  const to = T0 + hours * HOUR;
  const dropRollUps = () => db.deleteFrom('performance_traffic_days').execute();
  const year = { fromMs: T0, toMs: to };
  /** Best of `runs` reads of the year; `fresh` drops the day roll-ups before each (a first read). */
  const time = async (label, windowMs, runs, fresh) => {
    let best = Number.POSITIVE_INFINITY;
    let answer;
    for (let i = 0; i < runs; i++) {
      if (fresh) await dropRollUps();
      const cost = await perf.readCost(projectId, 'weather-api', { ...year, windowMs });
      started = process.hrtime.bigint();
      answer = await perf.series(projectId, 'weather-api', { ...year, windowMs });
      best = Math.min(best, ms(started));
      if (i === runs - 1) {
        const bytes = Buffer.byteLength(JSON.stringify(answer));
        console.log(
          `${label}: best of ${runs} ${Math.round(best)} ms, ${answer.series.length} windows, ${Math.round(bytes / 1024)} KB of JSON, cost ${cost} (inline up to ${INLINE_COST})`,
        );
      }
    }
    return answer;
  };
  const first = await time(
    'a year, 1d windows, first read (merges hours, stores the days)',
    24 * HOUR,
    3,
    true,
  );
  const later = await time('a year, 1d windows, later reads (day roll-ups)', 24 * HOUR, 3, false);
  if (JSON.stringify(later) !== JSON.stringify(first)) throw new Error('the roll-ups changed the answer');
  await time('a year, 1h windows', HOUR, 1, false);
  await dropRollUps();
  started = process.hrtime.bigint();
  await perf.foldAll();
  console.log(`the fold job's roll-up of ${hours / 24} days: ${Math.round(ms(started))} ms`);
  const rolled = await perf.series(projectId, 'weather-api', { ...year, windowMs: 24 * HOUR });
  if (JSON.stringify(rolled) !== JSON.stringify(first))
    throw new Error("the job's roll-ups changed the answer");
  for (const [label, windowMs] of [
    ['a week, 1h windows', HOUR],
    ['a week, 1d windows', 24 * HOUR],
  ]) {
    started = process.hrtime.bigint();
    await perf.series(projectId, 'weather-api', { fromMs: to - 7 * 24 * HOUR, toMs: to, windowMs });
    const size = await perf.readCost(projectId, 'weather-api', {
      fromMs: to - 7 * 24 * HOUR,
      toMs: to,
      windowMs,
    });
    console.log(`${label}: ${Math.round(ms(started))} ms, cost ${size}`);
  }
} finally {
  await plumb.close();
  rmSync(home, { recursive: true, force: true });
}
