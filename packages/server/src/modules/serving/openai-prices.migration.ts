import type { Kysely, Migration } from 'kysely';

/** The price table of OpenAI-compatible upstream models, with effective dates. */
export const pricesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('serving_prices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
      .addColumn('upstream_model', 'text', (c) => c.notNull())
      .addColumn('effective_from', 'text', (c) => c.notNull())
      .addColumn('input_per_1m', 'double precision', (c) => c.notNull())
      .addColumn('output_per_1m', 'double precision', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      // Also the lookup: the latest price of a model at or before a time.
      .addUniqueConstraint('serving_prices_model_from', ['project_id', 'upstream_model', 'effective_from'])
      .execute();
  },
};
