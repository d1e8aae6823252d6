import type { AddressInfo } from 'node:net';
import { PlumbClient } from '@plumb/sdk';
import { createTestPlumb, type TestPlumb } from '../../../server/src/testing/test-plumb.js';
import { ensureBuilt } from './browser.js';
import { type Filled, fill, type Scale } from './fill.js';

export interface UiServer {
  t: TestPlumb;
  url: string;
  admin: PlumbClient;
  keys: { approver: string; viewer: string };
  filled: Filled;
  /** How long filling through the SDK took, in milliseconds. */
  fillMs: number;
}

/** A listening Plumb with its worker, serving the built UI, filled through the SDK. */
export async function startUiServer(scale: Scale): Promise<UiServer> {
  ensureBuilt();
  const t = await createTestPlumb('sqlite', { PLUMB_MONITORING_FLUSH_MS: '200' });
  await t.plumb.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(t.plumb.app.server.address() as AddressInfo).port}`;
  t.plumb.worker.start();
  const keys = { approver: await t.keyFor('approver'), viewer: await t.keyFor('viewer') };
  // Filling a year of traffic on a busy machine takes longer than the default 30 s a request.
  const admin = new PlumbClient({ url, apiKey: t.adminSecret, timeoutMs: 300_000 });
  const started = performance.now();
  const filled = await fill(admin, new PlumbClient({ url, apiKey: keys.approver }), scale);
  const fillMs = performance.now() - started;
  await waitForHistory(admin, filled.endpoint, scale.hours);
  return { t, url, admin, keys, filled, fillMs };
}

/**
 * Window profiles are written a moment after ingest and drift is computed on first read; this
 * waits until the last hour is drawn, then evaluates the alert rules as the schedule would.
 */
async function waitForHistory(admin: PlumbClient, endpoint: string, hours: number): Promise<void> {
  const [monitor] = (await admin.monitors.list({ endpoint })).items;
  if (!monitor) throw new Error(`no monitor on ${endpoint}`);
  const to = new Date(Date.now() + 3_600_000).toISOString();
  const from = new Date(Date.now() - (hours + 48) * 3_600_000).toISOString();
  const lastHour = Date.now() - 3 * 3_600_000;
  for (let i = 0; ; i++) {
    const series = await admin.monitors.series(monitor.id, { from, to, buckets: 5000 });
    const last = series.buckets.at(-1);
    if (last && Date.parse(last.start) >= lastHour) break;
    if (i === 400) throw new Error(`drift windows not written: ${series.buckets.length} buckets`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await admin.alerts.evaluate();
}
