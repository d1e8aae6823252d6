import { dirname } from 'node:path';
import type { PipelineRun } from '@plumb/sdk';
import { stringify } from 'yaml';
import { ALERT_RULE } from './demo-alerts.js';
import { ENDPOINT, MODEL } from './demo-champion.js';
import type { DemoContext } from './demo-context.js';
import type { DemoPlan } from './demo-plan.js';
import { monthRange } from './demo-replay.js';
import { flightsSuite, gateSuite } from './demo-steps.js';
import { TRAINER } from './demo-trainer.js';

export const PIPELINE = 'flights-retrain';
export const APPROVAL_STEP = 'approval';

/** The folder the pipeline's commands run in: the repository, where examples/ is. */
const BASE_DIR = dirname(dirname(TRAINER));

/**
 * The retraining pipeline: snapshot the endpoint's labelled traffic of the replayed months (what
 * is logged when the run starts: up to the alert's day when the drift alert starts it), validate it, train a candidate with the example trainer (a fifth kept out as a
 * holdout dataset), store the gate over that holdout, register, evaluate against the real
 * champion with slices, deploy as a shadow, wait for a person, then promote. Triggered by the
 * drift alert or weekly.
 */
export function pipelineYaml(plan: DemoPlan): string {
  const from = `${monthRange(plan.months[0]!)[0]}T00:00:00.000Z`;
  const to = `${monthRange(plan.months[plan.months.length - 1]!)[1]}T00:00:00.000Z`;
  const spec = {
    name: PIPELINE,
    description: `retrain ${MODEL} on the labelled traffic of endpoint ${ENDPOINT}`,
    triggers: [{ alert: { rule: ALERT_RULE } }, { cron: '0 6 * * 1', timeZone: 'UTC' }],
    steps: [
      {
        name: 'snapshot',
        kind: 'snapshot',
        with: { endpoint: ENDPOINT, dataset: 'flights-traffic', from, to, labelColumn: 'delayed' },
      },
      {
        name: 'validate',
        kind: 'validate',
        needs: ['snapshot'],
        inputs: { dataset: 'steps.snapshot.outputs.dataset' },
        // Fed-back labels are text.
        with: { suite: flightsSuite(1, ['"0"', '"1"']) },
      },
      {
        name: 'train',
        kind: 'train',
        needs: ['validate'],
        inputs: { data: 'steps.validate.outputs.dataset' },
        run: [
          'node',
          'examples/train-flights-model.mjs',
          '--max-rows',
          String(plan.trainRows),
          '--holdout-every',
          '5',
          '--holdout-dataset',
          'flights-traffic-eval',
          '--name',
          `${PIPELINE}-train`,
        ],
        files: ['examples/train-flights-model.mjs'],
        timeout: '10m',
      },
      {
        name: 'gate-suite',
        kind: 'command',
        needs: ['train'],
        inputs: { data: 'steps.train.outputs.holdout' },
        params: { suite: gateSuite('flights-retrain-gate', 'DATASET') },
        run: ['node', 'examples/store-eval-suite.mjs'],
        files: ['examples/store-eval-suite.mjs'],
      },
      {
        name: 'register',
        kind: 'register',
        needs: ['train'],
        inputs: { artifact: 'steps.train.outputs.model', run: 'steps.train.outputs.run' },
        with: { model: MODEL, description: `candidate retrained by pipeline ${PIPELINE}` },
      },
      {
        name: 'evaluate',
        kind: 'evaluate',
        needs: ['register', 'gate-suite'],
        inputs: { model: 'steps.register.outputs.model' },
        with: { suite: 'flights-retrain-gate' },
      },
      {
        name: 'shadow',
        kind: 'deploy',
        needs: ['evaluate'],
        inputs: { model: 'steps.register.outputs.model' },
        with: { endpoint: ENDPOINT, mode: 'shadow' },
      },
      {
        name: APPROVAL_STEP,
        kind: 'approval',
        needs: ['shadow'],
        with: { role: 'approver', timeout: '7d', onTimeout: 'reject' },
      },
      {
        name: 'promote',
        kind: 'promote',
        needs: [APPROVAL_STEP],
        inputs: { model: 'steps.register.outputs.model' },
        with: { reason: `approved in pipeline ${PIPELINE}` },
      },
    ],
  };
  return stringify(spec, { lineWidth: 0 });
}

/**
 * Applies the pipeline before any traffic, so its alert trigger is there when the rule fires
 * (identical YAML keeps its version); answers its version.
 */
export async function applyPipeline(ctx: DemoContext, plan: DemoPlan): Promise<number> {
  const applied = await ctx.client.pipelines.apply(pipelineYaml(plan), BASE_DIR);
  ctx.say(
    `  pipeline ${applied.pipeline.ref}${applied.created ? '' : ' (unchanged)'}: ${applied.pipeline.spec.steps.map((s) => s.name).join(' → ')}; triggers: alert ${ALERT_RULE}, weekly schedule`,
  );
  return applied.pipeline.version;
}

/**
 * The run of one trigger: the one the alert's trigger started (its key is the alert's), or else
 * the weekly schedule's slot started now, so a second run of the demo finds the run it started
 * before. Waits until the run ends or stops at the approval.
 */
export async function runRetraining(
  ctx: DemoContext,
  version: number,
  trigger: { kind: 'alert'; alertId: string } | { kind: 'schedule' },
): Promise<PipelineRun> {
  const dedupKey = trigger.kind === 'alert' ? `alert:${trigger.alertId}` : `schedule:${PIPELINE}@v${version}`;
  const started = await ctx.client.pipelines.run(PIPELINE, { dedupKey });
  ctx.say(
    `  run ${started.id}, started by ${started.trigger.kind === 'alert' ? `the alert trigger (alert ${started.trigger.detail.alertId})` : trigger.kind === 'alert' ? `${started.trigger.kind} (the alert trigger did not start one)` : 'its weekly schedule, now'}`,
  );
  const seen = new Map<string, string>();
  return ctx.client.pipelines.waitForRun(started.id, {
    intervalMs: 300,
    untilWaiting: true,
    onProgress: (run) => {
      for (const step of run.steps) {
        if (seen.get(step.name) === step.status) continue;
        seen.set(step.name, step.status);
        if (['pending', 'queued'].includes(step.status)) continue;
        ctx.say(`    ${step.name.padEnd(10)} ${step.status}${stepNote(step)}`);
      }
    },
  });
}

function stepNote(step: PipelineRun['steps'][number]): string {
  if (step.error) return `: ${step.error}`;
  if (step.cachedFrom) return ` (from run ${step.cachedFrom})`;
  const o = step.outputs ?? {};
  const ref = (v: unknown) =>
    (v as { dataset?: string; model?: string } | undefined)?.dataset ??
    (v as { model?: string } | undefined)?.model;
  const parts = [
    ref(o.dataset),
    ref(o.model),
    ref(o.holdout),
    o.evalRun,
    o.suite,
    o.outcome,
    o.request,
  ].filter(Boolean);
  return parts.length ? `: ${parts.join(', ')}` : '';
}
