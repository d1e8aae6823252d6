import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import { registerEventsCommands } from './events.cli.js';
import { eventsMigrations } from './events.migrations.js';
import { eventsRoutes } from './events.routes.js';
import { EventsService } from './events.service.js';

/** The queue and schedule of retention, which deletes events older than PLUMB_EVENT_RETENTION_DAYS. */
export const RETENTION_QUEUE = 'events.retention';

/** The inference log: predictions as events, feedback attached later, retention. */
export const eventsModule = defineModule<{ events: EventsService }>({
  name: 'events',
  migrations: eventsMigrations,
  permissions: {
    'events:write': ['service', 'maintainer'],
    'events:read': READERS,
    'feedback:write': ['service', 'maintainer'],
  },
  create: ({ db, clock, config }) => ({
    // What arrived in one turn of the event loop, up to 512 events, goes into one transaction;
    // callers arriving while it commits form the next. A lone prediction waits for nobody (a
    // 2 ms gathering window doubled a prediction's p50 for no throughput), and under load one
    // transaction carries hundreds.
    events: new EventsService(db, clock, {
      maxBatch: 512,
      maxDelayMs: 0,
      retentionDays: config.eventRetentionDays,
      writerThread: config.eventWriter === 'thread',
    }),
  }),
  routes: eventsRoutes,
  jobs: ({ events }) => ({
    // Idempotent: a second run finds nothing older than the cutoff.
    [RETENTION_QUEUE]: () => events.applyRetention(),
  }),
  // Hourly; each run deletes in transactions of 5,000 events.
  schedules: { [RETENTION_QUEUE]: { cron: '7 * * * *', queue: RETENTION_QUEUE, maxAttempts: 3 } },
  cli: registerEventsCommands,
  close: ({ events }) => events.close(),
});
