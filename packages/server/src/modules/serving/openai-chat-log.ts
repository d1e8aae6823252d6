import { newId } from '../../core/ids.js';
import type { ServingMeter } from '../../http/metrics.js';
import type { Arm, EventSink } from '../events/events.contract.js';
import type { ModelVersionInfo } from '../registry/registry.contracts.js';
import type { EndpointRecord } from './endpoint-settings.js';
import type { ChatCompletionRequest } from './openai-chat.schemas.js';
import type { TokenUsage } from './openai-prices.service.js';

/** One chat call as it goes through the endpoint: what was asked, what was tried, what failed. */
export interface ChatCall {
  projectId: string;
  endpoint: EndpointRecord;
  /** The routed version, then the fallbacks. */
  attempts: { target: string; arm: Arm }[];
  request: ChatCompletionRequest;
  /** The messages as they may be logged (redacted). */
  inputs: unknown;
  time: Date;
  startedMs: number;
  /** What failed so far, version by version. */
  failures: string[];
  defaultMessage: Record<string, unknown> | null;
}

export interface ChatOutcome {
  id?: string;
  /** null when no version answered. */
  info: ModelVersionInfo | null;
  arm: Arm;
  outputs: unknown;
  latencyMs: number;
  usage: TokenUsage | null;
  costUsd: number | null;
  tags: Record<string, string>;
  /** A failure after the answer began (a stream that broke off), besides the call's failures. */
  error?: string | null;
  /** Counted as served in the metrics; a call nobody answered is counted by its failures only. */
  served: boolean;
}

/** Logs a call as an inference event (acknowledged only once committed) and counts it. */
export async function logChat(
  deps: { events(): EventSink; meter: ServingMeter },
  call: ChatCall,
  o: ChatOutcome,
): Promise<string> {
  const id = o.id ?? newId('prd');
  const errors = [...call.failures, ...(o.error ? [o.error] : [])];
  await deps.events().record([
    {
      id,
      time: call.time.toISOString(),
      projectId: call.projectId,
      endpoint: call.endpoint.name,
      modelVersion: o.info?.ref ?? null,
      modelVersionId: o.info?.id ?? null,
      arm: o.arm,
      inputs: call.inputs,
      outputs: o.outputs,
      latencyMs: o.latencyMs,
      promptTokens: o.usage?.promptTokens ?? null,
      completionTokens: o.usage?.completionTokens ?? null,
      costUsd: o.costUsd,
      tags: o.tags,
      error: errors.length > 0 ? errors.join('; ') : null,
    },
  ]);
  if (o.served) {
    deps.meter.served({
      project: call.projectId,
      endpoint: call.endpoint.name,
      version: o.info?.ref ?? null,
      arm: o.arm,
      latencyMs: o.latencyMs,
      promptTokens: o.usage?.promptTokens ?? null,
      completionTokens: o.usage?.completionTokens ?? null,
      costUsd: o.costUsd,
    });
  }
  return id;
}

/**
 * The caller's `metadata`, and Plumb's own under `plumb.`: the time to the first chunk of a
 * stream, and whether the client left before its end (its tokens were still counted).
 */
export function tagsOf(request: ChatCompletionRequest, firstTokenMs: number | null, disconnected: boolean) {
  const tags: Record<string, string> = { ...(request.metadata ?? {}) };
  if (firstTokenMs !== null) tags['plumb.first_token_ms'] = firstTokenMs.toFixed(1);
  if (disconnected) tags['plumb.client_disconnected'] = 'true';
  return tags;
}
