import { join } from 'node:path';
import type { EvalRun, ModelVersion, PromotionRequest } from '@plumb/sdk';
import { PlumbError } from '../core/errors.js';
import { ENDPOINT, MODEL } from './demo-champion.js';
import type { DemoContext } from './demo-context.js';
import type { DemoPlan } from './demo-plan.js';
import { monthRange } from './demo-replay.js';
import { type Snapshot, snapshotTraffic } from './demo-snapshot.js';
import {
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

export interface Retraining {
  snapshot: Snapshot;
  candidate: ModelVersion;
  evalRun: EvalRun;
  /** The promotion request waiting for a person; null when the gate refused the candidate. */
  request: PromotionRequest | null;
  /** Why the candidate cannot be promoted, when the gate said no. */
  refused: string | null;
}

/**
 * The retraining loop on the last two replayed months: snapshot the labelled traffic, validate
 * it, train a candidate with the example trainer, evaluate it against the real champion with
 * slices, deploy it as a shadow on the endpoint, and ask for the champion alias under a policy
 * that needs a person's approval. The demo's key requests; the admin at the terminal approves.
 */
export async function retrain(ctx: DemoContext, champion: ModelVersion, plan: DemoPlan): Promise<Retraining> {
  const { say } = ctx;
  const recent = plan.months.slice(-2);
  const from = `${monthRange(recent[0]!)[0]}T00:00:00.000Z`;
  const to = `${monthRange(recent[recent.length - 1]!)[1]}T00:00:00.000Z`;

  const snapshot = await snapshotTraffic(ctx, champion, from, to);
  say(
    `  snapshot: ${snapshot.rows} labelled predictions ${recent.join(', ')} → ${snapshot.train.ref} (${snapshot.train.rowCount} rows) + ${snapshot.eval.ref} (${snapshot.eval.rowCount} for evaluation)`,
  );
  const report = await validate(
    ctx,
    snapshot.train.ref,
    flightsSuite(Math.floor(snapshot.train.rowCount * 0.9)),
  );
  say(`  validate ${snapshot.train.ref}: ${report.passed ? 'passed' : 'FAILED'}`);
  for (const line of failedLines(report)) say(line);
  if (!report.passed) throw new PlumbError('failed_precondition', `${snapshot.train.ref} failed validation`);

  const description = `candidate trained on ${snapshot.train.ref}`;
  let candidate = await findVersion(ctx, MODEL, description);
  if (!candidate) {
    const onnx = join(ctx.dir, `flights-delay-${snapshot.train.ref.replace('@', '-')}.onnx`);
    const runId = await trainWithExample(ctx, {
      csv: snapshot.trainFile,
      out: onnx,
      dataset: snapshot.train.ref,
      runName: `flights-retrain-${recent.join('-')}`,
      maxRows: plan.trainRows,
    });
    candidate = await register(ctx, MODEL, onnx, runId, description);
    say(`  train: registered ${candidate.ref} (run ${runId})`);
  } else {
    say(`  train: ${candidate.ref} was trained on ${snapshot.train.ref} before: reusing it`);
  }

  const evalRun = await evaluate(
    ctx,
    gateSuite('flights-retrain-gate', snapshot.eval.ref),
    candidate.ref,
    `${MODEL}@champion`,
  );
  const decision = evalRun.decision;
  say(
    `  evaluate ${candidate.ref} vs champion ${evalRun.baseline?.ref ?? '(none)'} on ${snapshot.eval.ref}: gate ${decision?.passed ? 'passed' : 'failed'}`,
  );
  for (const line of sliceLines(evalRun)) say(line);
  for (const reason of decision?.reasons ?? []) say(`      gate: ${reason}`);

  const endpoint = await ctx.client.endpoints.get(ENDPOINT);
  if (!endpoint.shadows.includes(candidate.ref)) {
    await ctx.client.endpoints.update(ENDPOINT, { shadows: [candidate.ref] });
  }
  say(
    `  deploy: ${candidate.ref} is a shadow on endpoint ${ENDPOINT} (gets a copy of each request, answers only the log)`,
  );

  const model = await ctx.client.models.get(MODEL);
  if (!model.policy.approvalRequired) {
    await ctx.client.models.update(MODEL, { policy: { approvalRequired: true } });
  }
  const pending = await ctx.client.models.requests({ model: MODEL, status: 'pending' });
  let request = pending.items.find((r) => r.ref === candidate.ref && r.alias === 'champion') ?? null;
  let refused: string | null = null;
  if (!request) {
    try {
      const outcome = await ctx.client.models.promote(candidate.ref, {
        reason: `retrained on ${snapshot.train.ref}; gate ${evalRun.id}`,
      });
      if (outcome.outcome === 'pending_approval') request = outcome.request;
    } catch (error) {
      if (!PlumbError.is(error, 'failed_precondition')) throw error;
      refused = error.message;
    }
  }
  say(
    request
      ? `  approval: promotion request ${request.id} waits for a person (policy: champion moves need approval)`
      : `  approval: not requested: ${refused}`,
  );
  return { snapshot, candidate, evalRun, request, refused };
}
