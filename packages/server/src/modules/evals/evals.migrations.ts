import type { Kysely } from 'kysely';

export const evalsMigrations = {
  '0030_evals': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('eval_suites')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('yaml', 'text', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('content_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('eval_suites_version', ['project_id', 'name', 'version'])
        .execute();

      await db.schema
        .createTable('eval_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('suite_id', 'text', (c) => c.notNull().references('eval_suites.id'))
        .addColumn('suite_name', 'text', (c) => c.notNull())
        .addColumn('suite_version', 'integer', (c) => c.notNull())
        .addColumn('candidate_version_id', 'text', (c) => c.notNull())
        .addColumn('candidate_ref', 'text', (c) => c.notNull())
        .addColumn('baseline_version_id', 'text')
        .addColumn('baseline_ref', 'text')
        .addColumn('baseline_requested', 'text')
        .addColumn('datasets', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('rows_done', 'bigint', (c) => c.notNull())
        .addColumn('rows_total', 'bigint', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .addColumn('duration_ms', 'bigint')
        .execute();
      // Lists are per project, newest first; model cards ask for the runs of one version.
      await db.schema
        .createIndex('eval_runs_project')
        .on('eval_runs')
        .columns(['project_id', 'id'])
        .execute();
      await db.schema
        .createIndex('eval_runs_candidate')
        .on('eval_runs')
        .columns(['candidate_version_id', 'id'])
        .execute();

      await db.schema
        .createTable('gate_decisions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('eval_run_id', 'text', (c) => c.notNull().unique().references('eval_runs.id'))
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('suite_ref', 'text', (c) => c.notNull())
        .addColumn('candidate_version_id', 'text', (c) => c.notNull())
        .addColumn('baseline_version_id', 'text')
        .addColumn('passed', 'integer', (c) => c.notNull())
        .addColumn('reasons', 'text', (c) => c.notNull())
        .addColumn('checks', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'text', (c) => c.notNull())
        .execute();
      // Promotion asks for a version's newest decision.
      await db.schema
        .createIndex('gate_decisions_candidate')
        .on('gate_decisions')
        .columns(['candidate_version_id', 'id'])
        .execute();
    },
  },
};
