import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { ProjectsService } from '../access/projects.service.js';
import type { EventsService } from '../events/events.service.js';
import { registerPerformanceCommands } from './performance.cli.js';
import { performanceMigrations } from './performance.migrations.js';
import { performanceRoutes } from './performance.routes.js';
import {
  FOLD_QUEUE,
  type FoldJob,
  PerformanceService,
  SERIES_QUEUE,
  type SeriesJob,
} from './performance.service.js';

/** How long a read waits for the fold job when jobs run elsewhere, before answering without it. */
const READ_FOLD_WAIT_MS = 10_000;

/** Endpoint performance per window: realised from feedback, estimated before it, and traffic. */
export const performanceModule = defineModule<
  { performance: PerformanceService },
  { events: EventsService; projects: ProjectsService }
>({
  name: 'performance',
  migrations: performanceMigrations,
  permissions: { 'performance:read': READERS },
  needs: ['events', 'projects'],
  create: ({ db, clock, jobs, jobsRunElsewhere }, ports) => ({
    performance: new PerformanceService(
      db,
      clock,
      ports.events,
      {
        projectIds: async () => {
          const ids: string[] = [];
          const ctx = {
            principal: {
              keyId: 'system',
              keyName: 'system',
              role: 'admin' as const,
              projectId: '',
              projectName: '',
            },
            requestId: 'performance-fold',
          };
          let cursor: string | undefined;
          do {
            const page = await ports.projects.list(ctx, { limit: 500, ...(cursor ? { cursor } : {}) });
            ids.push(...page.items.map((p) => p.id));
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
          return ids;
        },
      },
      jobsRunElsewhere ? { jobs, waitMs: READ_FOLD_WAIT_MS } : { inline: true },
    ),
  }),
  routes: performanceRoutes,
  jobs: ({ performance }) => ({
    // Idempotent: each step moves the project's cursor with a compare-and-set.
    [FOLD_QUEUE]: (job) => performance.foldJob(job.payload as FoldJob | null),
    // A large read's merge: it only reads, so a rerun gives the same answer.
    [SERIES_QUEUE]: (job) => performance.seriesJob(job.payload as SeriesJob),
  }),
  // Every minute, so a query folds at most a minute of events itself; each run also rolls the
  // whole days folded into since the last one up (a day is rewritten when folding changed it).
  schedules: { [FOLD_QUEUE]: { cron: '* * * * *', queue: FOLD_QUEUE, maxAttempts: 3 } },
  cli: registerPerformanceCommands,
});
