import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { DatasetsService } from '../datasets/datasets.service.js';
import type { Registry } from '../registry/registry.js';
import { registerEvalCommands } from './evals.cli.js';
import { evalsMigrations } from './evals.migrations.js';
import { evalRoutes } from './evals.routes.js';
import { EVAL_RUN_QUEUE, EvalsService } from './evals.service.js';
import { EvalGateLookup } from './gate-lookup.js';

/** Evaluation suites, runs of a candidate against a baseline, and gate decisions. */
export const evalsModule = defineModule<
  { evals: EvalsService; gates: EvalGateLookup },
  { registry: Registry; datasets: DatasetsService }
>({
  name: 'evals',
  migrations: evalsMigrations,
  permissions: { 'evals:read': READERS, 'evals:write': ['maintainer'] },
  needs: ['registry', 'datasets'],
  create: ({ db, audit, clock, engine, blobs, jobs, models }, { registry, datasets }) => ({
    evals: new EvalsService({
      db,
      audit,
      clock,
      models: registry.models,
      datasets,
      engine,
      blobs,
      jobs,
      runtime: models,
    }),
    gates: new EvalGateLookup(db),
  }),
  routes: ({ evals }) => evalRoutes({ evals }),
  jobs: ({ evals }) => ({
    // Idempotent: an ended run is left alone, one caught mid-way starts over.
    [EVAL_RUN_QUEUE]: async (job, context) => {
      const { evalRunId } = job.payload as { evalRunId: string };
      await evals.execute(evalRunId, {
        onProgress: (rows) => context.progress({ rows }),
        signal: context.signal,
        heartbeat: context.heartbeat,
        finalAttempt: job.attempts >= job.maxAttempts,
      });
      return { evalRunId };
    },
  }),
  cli: registerEvalCommands,
  close: ({ evals }) => evals.close(),
});
