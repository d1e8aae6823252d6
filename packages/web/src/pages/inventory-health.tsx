import type { PlumbClient } from '@plumb/sdk';
import { all, useLoad, useSession } from '../api.js';
import type { Session } from '../session.js';

export interface ModelHealth {
  /** Endpoints serving any version or alias of the model. */
  endpoints: string[];
  /** Null when no monitor watches any of them or none has a window in the last day of traffic. */
  drifted: boolean | null;
  openAlerts: number;
  /** The latest day's realised accuracy on any of its endpoints, with that window's start. */
  accuracy: { value: number; at: string; endpoint: string } | null;
}

/**
 * Each model's health from what the API answers per endpoint: the monitors' current verdicts,
 * the open alerts and the latest realised accuracy. Loaded after the table, so it never holds
 * the first render; what the role may not read is left out.
 */
async function loadHealth(client: PlumbClient, session: Session): Promise<Map<string, ModelHealth>> {
  const health = new Map<string, ModelHealth>();
  if (!session.can('endpoints:read')) return health;
  const endpoints = await all(client, client.endpoints.list);
  const alerts = session.can('alerts:read')
    ? await all(client, (q) => client.alerts.list({ ...q, status: 'open' }))
    : [];
  await Promise.all(
    endpoints.map(async (e) => {
      const models = new Set(
        [...e.routes.map((r) => r.target), ...e.fallback.versions].map((t) => t.split('@')[0]!),
      );
      // The verdicts of the day up to the endpoint's latest prediction, not the clock's: merging a
      // year of windows is work the inventory does not need, and replayed or paused traffic shows.
      const lastEvent = session.can('events:read')
        ? ((await client.events.list({ endpoint: e.name, limit: 1 })).items[0]?.time ?? null)
        : null;
      const to = new Date(lastEvent ? Date.parse(lastEvent) + 1 : Date.now());
      const day = { from: new Date(to.getTime() - 24 * 3_600_000).toISOString(), to: to.toISOString() };
      const [status, perf] = await Promise.all([
        session.can('monitors:read') ? client.monitors.status(e.name, day) : null,
        session.can('performance:read')
          ? client.performance.endpoint(e.name, { ...day, window: '1d' })
          : null,
      ]);
      const latest = perf?.series.filter((w) => w.realised.accuracy !== null).at(-1) ?? null;
      for (const model of models) {
        const h = health.get(model) ?? { endpoints: [], drifted: null, openAlerts: 0, accuracy: null };
        h.endpoints.push(e.name);
        const watched = status?.monitors.filter((m) => m.windows > 0) ?? [];
        if (watched.length > 0) h.drifted = (h.drifted ?? false) || watched.some((m) => m.datasetDrifted);
        h.openAlerts += alerts.filter((a) => a.endpoint === e.name).length;
        if (
          latest &&
          latest.realised.accuracy !== null &&
          (!h.accuracy || latest.windowStart > h.accuracy.at)
        ) {
          h.accuracy = { value: latest.realised.accuracy, at: latest.windowStart, endpoint: e.name };
        }
        health.set(model, h);
      }
    }),
  );
  return health;
}

/** Starts once `ready` (the table has its rows), so the health requests never delay them. */
export function useHealth(ready: boolean) {
  const session = useSession();
  return useLoad(async (c) => (ready ? loadHealth(c, session) : undefined), [ready]);
}
