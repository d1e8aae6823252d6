import { READERS } from '../../core/auth/permissions.js';
import { defineModule } from '../../module.js';
import type { PerformanceService } from '../performance/performance.service.js';
import { SignalReader } from './alert-signals.js';
import { registerAlertCommands } from './alerts.cli.js';
import { alertsMigrations } from './alerts.migrations.js';
import type { DriftSignals } from './alerts.ports.js';
import { alertsRoutes } from './alerts.routes.js';
import { AlertsService } from './alerts.service.js';
import { DELIVER_QUEUE, type DeliveryPayload } from './webhook-delivery.js';

/** The queue and schedule of rule evaluation. */
export const EVALUATE_QUEUE = 'alerts.evaluate';

/** Alerts: rules on monitored values, alerts opened once and resolved, signed webhooks. */
export const alertsModule = defineModule<
  { alerts: AlertsService },
  { performance: PerformanceService; monitors?: DriftSignals }
>({
  name: 'alerts',
  migrations: alertsMigrations,
  permissions: {
    'alerts:read': READERS,
    'alerts:write': ['maintainer'],
    'alerts:ack': ['maintainer'],
  },
  needs: ['performance'],
  create: ({ db, audit, clock, jobs }, ports) => {
    // Drift rules read the monitoring module when it is part of this build; read at evaluation.
    const drift = (): DriftSignals | null => {
      try {
        return ports.monitors ?? null;
      } catch {
        return null;
      }
    };
    const signals = new SignalReader(drift, ports.performance);
    return { alerts: new AlertsService({ db, audit, clock, jobs, signals }) };
  },
  routes: alertsRoutes,
  jobs: ({ alerts }) => ({
    // Idempotent: windows are read once per rule and a dedup key opens each alert once.
    [EVALUATE_QUEUE]: () => alerts.evaluate(),
    // Throws unless the receiver answered 2xx, so the queue retries with backoff.
    [DELIVER_QUEUE]: (job) => alerts.deliver(job.payload as DeliveryPayload, job.attempts),
  }),
  schedules: { [EVALUATE_QUEUE]: { cron: '*/5 * * * *', queue: EVALUATE_QUEUE, maxAttempts: 3 } },
  cli: registerAlertCommands,
});
