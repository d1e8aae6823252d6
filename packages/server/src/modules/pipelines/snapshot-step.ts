import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Executed, StepRunContext } from './builtin-steps.js';
import { durationMs } from './pipeline-spec.js';
import { FinalStepFailure } from './step-failure.js';

/** Events read per page. */
const PAGE = 500;
/** More rows than this in one snapshot is a sign of a wrong time range. */
const MAX_ROWS = 2_000_000;

/**
 * Logged predictions of an endpoint that have feedback, in a time range (`with.since`, a duration
 * back from now, default 7d; or `with.from` / `with.to`), written as JSONL (the event's inputs as
 * columns, the prediction, and the ground truth in `with.labelColumn`, default `label`) and added
 * as a new version of `with.dataset`, tagged with the endpoint and the model versions that served.
 */
export async function snapshotTraffic(c: StepRunContext): Promise<Executed> {
  const w = c.spec.with;
  const endpoint = String(w.endpoint);
  const now = c.deps.clock.now();
  const to = typeof w.to === 'string' ? w.to : now.toISOString();
  const from =
    typeof w.from === 'string'
      ? w.from
      : new Date(now.getTime() - durationMs((w.since as string | number | undefined) ?? '7d')).toISOString();
  const labelColumn = typeof w.labelColumn === 'string' ? w.labelColumn : 'label';
  const path = join(c.workDir, 'snapshot.jsonl');
  const out = createWriteStream(path);
  // Each served version and its id ('' when the event did not carry one).
  const models = new Map<string, string>();
  let rows = 0;
  let cursor: string | undefined;
  do {
    const page = await c.deps.events.list(c.ctx, {
      endpoint,
      from,
      to,
      order: 'desc',
      start: 'beginning',
      limit: PAGE,
      ...(cursor ? { cursor } : {}),
    });
    for (const e of page.items) {
      if (!e.feedback || e.arm === 'shadow') continue;
      const inputs =
        e.inputs !== null && typeof e.inputs === 'object' && !Array.isArray(e.inputs)
          ? (e.inputs as Record<string, unknown>)
          : { inputs: e.inputs };
      const row = {
        ...inputs,
        prediction: e.label ?? e.score,
        [labelColumn]: e.feedback.label ?? e.feedback.value,
        predicted_at: e.time,
        model_version: e.modelVersion,
      };
      if (e.modelVersion && !models.get(e.modelVersion)) models.set(e.modelVersion, e.modelVersionId ?? '');
      if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, 'drain');
      rows++;
    }
    if (rows > MAX_ROWS)
      throw new FinalStepFailure(`more than ${MAX_ROWS} labelled predictions in the range`);
    cursor = page.nextCursor ?? undefined;
    if (c.signal.aborted) throw c.signal.reason;
  } while (cursor);
  out.end();
  await once(out, 'close');
  if (rows === 0)
    throw new FinalStepFailure(`${endpoint} has no predictions with feedback between ${from} and ${to}`);
  const blob = await c.deps.blobService.upload(c.ctx, createReadStream(path));
  const served = [...models.keys()].sort();
  const name = String(w.dataset);
  const { version } = await c.deps.datasets.addVersion(c.ctx, name, {
    files: [{ path: 'snapshot.jsonl', ref: blob.ref }],
    message: `labelled traffic of ${endpoint} from ${from} to ${to} (pipeline run ${c.run.id})`,
    parents: [],
    tags: {
      source_endpoint: endpoint,
      source_models: served.join(',').slice(0, 1000),
      // The served versions' ids, in the same order: the dataset's lineage draws them.
      source_model_ids: served
        .map((m) => models.get(m))
        .join(',')
        .slice(0, 1000),
      pipeline_run: c.run.id,
    },
    timeColumn: 'predicted_at',
  });
  c.log('system', `${rows} labelled predictions → ${version.ref}`);
  return { outputs: { dataset: { dataset: version.ref }, rows, endpoint, models: served } };
}
