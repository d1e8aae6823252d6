import type { Kysely, Migration } from 'kysely';

export const alertsMigrations: Record<string, Migration> = {
  'alerts/0001_rules_alerts_deliveries': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('alert_rules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('metric', 'text', (c) => c.notNull())
        .addColumn('feature', 'text')
        .addColumn('monitor_id', 'text')
        .addColumn('operator', 'text', (c) => c.notNull())
        .addColumn('threshold', 'double precision')
        .addColumn('consecutive', 'integer', (c) => c.notNull())
        .addColumn('window', 'text', (c) => c.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_secret', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('alert_rules_project_name', ['project_id', 'name'])
        .execute();
      await db.schema
        .createTable('alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('rule_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('dedup_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('value', 'double precision')
        .addColumn('threshold', 'double precision')
        .addColumn('run_start', 'bigint', (c) => c.notNull())
        .addColumn('opened_at', 'text', (c) => c.notNull())
        .addColumn('acknowledged_at', 'text')
        .addColumn('acknowledged_by', 'text')
        .addColumn('resolved_at', 'text')
        .addColumn('resolved_by', 'text')
        .addColumn('resolution', 'text')
        .addUniqueConstraint('alerts_project_dedup', ['project_id', 'dedup_key'])
        .execute();
      await db.schema.createIndex('alerts_rule_status').on('alerts').columns(['rule_id', 'status']).execute();
      await db.schema
        .createTable('alert_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('alert_id', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'double precision', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('alert_deliveries_alert')
        .on('alert_deliveries')
        .columns(['alert_id', 'at'])
        .execute();
    },
  },
  // Which window opened an alert, and the present its evaluation read windows as of.
  'alerts/0002_evaluated_window': {
    async up(db: Kysely<unknown>) {
      for (const column of ['window_start', 'window_end', 'evaluated_at']) {
        await db.schema.alterTable('alerts').addColumn(column, 'bigint').execute();
      }
    },
  },
};
