import type { ServingMeter } from '../../http/metrics.js';
import type { EventSink } from '../events/events.contract.js';

/** A failure as the prediction path words it: `name@vN: what happened` (or the target as named). */
const FAILED_REF = /^([a-z0-9][a-z0-9._-]*@[A-Za-z0-9._-]+)(?::| timed out)/;

/**
 * The inference log (read when first used, as its module may be created later), counting every prediction it records for /metrics: the answering version
 * and arm (fallback, cache, shadow), its latency, and each version its `error` names as failed
 * before the answer. Counted once the commit succeeded, as the caller is answered only then.
 */
export function meteredEvents(sink: () => EventSink, meter: ServingMeter): () => EventSink {
  const metered: EventSink = {
    async record(events) {
      const ids = await sink().record(events);
      for (const e of events) {
        if (e.endpoint === null) continue;
        meter.served({
          project: e.projectId,
          endpoint: e.endpoint,
          version: e.modelVersion,
          arm: e.arm,
          latencyMs: e.latencyMs,
          promptTokens: e.promptTokens ?? null,
          completionTokens: e.completionTokens ?? null,
          ...(e.costUsd !== undefined ? { costUsd: e.costUsd } : {}),
        });
      }
      if (!events.some((e) => e.error)) return ids;
      // A batch shares one error (one failed version run for all its rows): counted once.
      const errors = new Map<string, { project: string; endpoint: string; error: string }>();
      for (const e of events) {
        if (e.endpoint === null || !e.error) continue;
        errors.set(`${e.projectId}\0${e.endpoint}\0${e.error}`, {
          project: e.projectId,
          endpoint: e.endpoint,
          error: e.error,
        });
      }
      for (const { project, endpoint, error } of errors.values()) {
        for (const part of error.split('; ')) {
          const ref = FAILED_REF.exec(part)?.[1];
          if (ref) meter.failed(project, endpoint, ref);
        }
      }
      return ids;
    },
  };
  return () => metered;
}
