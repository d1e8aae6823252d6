import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CreateEndpoint, InferenceEvent, ModelVersion } from '@plumb/sdk';
import type { TestPlumb } from '../../testing/test-plumb.js';
import {
  createUngatedModel,
  featuresOf,
  loadWeather,
  registerOnnx,
  setAlias,
  trainWeatherModels,
  WEATHER_FEATURES,
} from '../evals/evals.test-kit.js';

// Test support for serving: real weather classifiers registered in the instance's registry,
// and Open Inference Protocol upstreams on 127.0.0.1 that fail or hold requests on demand.
// Test-only: the build leaves *.test-kit.ts out.

export const WEATHER = loadWeather();
export const MODELS = trainWeatherModels(WEATHER);
export { WEATHER_FEATURES };

/** A weather row as a predict input. */
export function rowInput(i: number): Record<string, number> {
  const row = WEATHER[i]!;
  return Object.fromEntries(WEATHER_FEATURES.map((f) => [f, row[f]]));
}

export function rowFeatures(i: number): number[] {
  return featuresOf(WEATHER[i]!);
}

/**
 * `weather` v1 (baseline) and v2 (candidate), with `champion` on v1 and `challenger` on v2.
 */
export async function registerWeather(
  t: TestPlumb,
  model = 'weather',
): Promise<{ v1: ModelVersion; v2: ModelVersion }> {
  await createUngatedModel(t, model);
  const v1 = await registerOnnx(t, model, MODELS.baselineBytes);
  const v2 = await registerOnnx(t, model, MODELS.candidateBytes);
  await setAlias(t, v1, 'champion');
  await setAlias(t, v2, 'challenger');
  return { v1, v2 };
}

/** Registers an OIP upstream as the next version of `model`. */
export async function registerUpstream(t: TestPlumb, model: string, url: string): Promise<ModelVersion> {
  const ctx = t.adminCtx;
  await t.plumb.services.registry.models.create(ctx, {
    name: model,
    description: '',
    riskClass: 'limited',
    policy: { gatedAliases: [], approvalRequired: false },
  });
  return t.plumb.services.registry.registration.register(ctx, model, {
    artifact: { kind: 'oip', url },
    description: '',
  });
}

export async function createEndpoint(t: TestPlumb, body: CreateEndpoint) {
  const response = await t.call('POST', '/api/v1/endpoints', { body });
  if (response.statusCode !== 201) throw new Error(`create failed: ${response.body}`);
  return response.json();
}

export async function eventsOf(t: TestPlumb, endpoint: string, arm?: string): Promise<InferenceEvent[]> {
  const url = `/api/v1/events?endpoint=${endpoint}&limit=500${arm ? `&arm=${arm}` : ''}`;
  const response = await t.call('GET', url);
  if (response.statusCode !== 200) throw new Error(`events: ${response.body}`);
  return response.json().items;
}

/**
 * An OIP v2 upstream: `fail` answers 500, `hold` keeps every request until `release()`.
 * `received` counts inference requests.
 */
export async function startUpstream(mode: 'fail' | 'hold') {
  const held: ServerResponse[] = [];
  let received = 0;
  let onReceive: (() => void) | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      onReceive?.();
      if (mode === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"upstream broke"}');
      } else held.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v2/models/upstream`,
    get received() {
      return received;
    },
    /** Resolves once `n` requests have arrived. */
    waitFor(n: number): Promise<void> {
      if (received >= n) return Promise.resolve();
      return new Promise((resolve) => {
        onReceive = () => {
          if (received >= n) resolve();
        };
      });
    },
    release() {
      for (const res of held.splice(0)) res.writeHead(503).end('{"error":"released"}');
    },
    async close() {
      this.release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A clock the test moves. */
export function manualClock(start = Date.parse('2026-03-01T00:00:00Z')) {
  let now = start;
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}
