import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { ProjectsService } from '../access/projects.service.js';
import type { EventsService } from '../events/events.service.js';
import { registerPerformanceCommands } from './performance.cli.js';
import { performanceMigrations } from './performance.migrations.js';
import { performanceRoutes } from './performance.routes.js';
import { PerformanceService } from './performance.service.js';

/** The queue and schedule that fold new inference events into hourly traffic windows. */
export const FOLD_QUEUE = 'performance.fold';

/** Endpoint performance per window: realised from feedback, estimated before it, and traffic. */
export const performanceModule = defineModule<
  { performance: PerformanceService },
  { events: EventsService; projects: ProjectsService }
>({
  name: 'performance',
  migrations: performanceMigrations,
  permissions: { 'performance:read': READERS },
  needs: ['events', 'projects'],
  create: ({ db, clock, jobsRunElsewhere }, ports) => ({
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
      !jobsRunElsewhere,
    ),
  }),
  routes: performanceRoutes,
  jobs: ({ performance }) => ({
    // Idempotent: each step moves the project's cursor with a compare-and-set.
    [FOLD_QUEUE]: () => performance.foldAll(),
  }),
  // Every minute, so a query folds at most a minute of events itself.
  schedules: { [FOLD_QUEUE]: { cron: '* * * * *', queue: FOLD_QUEUE, maxAttempts: 3 } },
  cli: registerPerformanceCommands,
});
