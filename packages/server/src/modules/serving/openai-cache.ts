import { canonicalJson } from '../../core/canonical-json.js';
import type { Clock } from '../../core/clock.js';
import type { ChatCompletionRequest } from './openai-chat.schemas.js';
import type { AssistantMessage } from './openai-messages.js';
import { PredictionCache } from './prediction-cache.js';

/** A completion as it is replayed: the whole (non-streamed) body, and the call that produced it. */
export interface CachedCompletion {
  body: Record<string, unknown>;
  /** The prediction that paid for it; cache hits name it in their tags. */
  predictionId: string;
}

// A completion larger than this is answered but not kept: a few such would crowd out thousands
// of ordinary ones, and the entries are counted, not weighed.
const MAX_CACHED_CHARS = 256 * 1024;

/**
 * The endpoint's response cache for chat completions, per model version and canonical request:
 * one entry answers both a plain and a streamed call of the same request. Fields that do not
 * change the answer are left out of the key: `model` (the endpoint; the version id is in the key
 * instead), `stream`, `stream_options` and `metadata` (Plumb's tags). Per replica and lossy,
 * as the prediction cache is.
 */
export class ChatCache {
  private readonly entries: PredictionCache<CachedCompletion>;

  constructor(clock: Clock, maxEntries = 2000) {
    this.entries = new PredictionCache(clock, maxEntries);
  }

  key(versionId: string, request: ChatCompletionRequest): string {
    const {
      model: _model,
      stream: _stream,
      stream_options: _options,
      metadata: _metadata,
      ...rest
    } = request;
    return `${versionId}\0${canonicalJson(rest)}`;
  }

  get(key: string): CachedCompletion | undefined {
    return this.entries.get(key);
  }

  /** Keeps a completed, successful answer; anything partial or refused is not kept. */
  set(key: string, entry: CachedCompletion, ttlMs: number): void {
    const choices = entry.body.choices;
    if (!Array.isArray(choices) || choices.length === 0) return;
    if (JSON.stringify(entry.body).length > MAX_CACHED_CHARS) return;
    this.entries.set(key, entry, ttlMs);
  }
}

/**
 * A streamed answer as the completion a plain call would have given, or null when the stream
 * held what a completion rebuilt from it would lose (other choices, log probabilities) or did
 * not finish.
 */
export function completionOfStream(
  first: { id?: unknown; created?: unknown; model?: unknown; system_fingerprint?: unknown } | null,
  message: AssistantMessage,
  usage: unknown,
): Record<string, unknown> | null {
  if (message.finishReason === null || message.otherChoices || message.logprobs) return null;
  return {
    id: first?.id,
    object: 'chat.completion',
    created: first?.created,
    model: first?.model,
    ...(first?.system_fingerprint !== undefined ? { system_fingerprint: first.system_fingerprint } : {}),
    choices: [{ index: 0, message: message.value(), finish_reason: message.finishReason, logprobs: null }],
    ...(usage !== undefined && usage !== null ? { usage } : {}),
  };
}

/**
 * A cached completion as the chunks of a stream: per choice, its message as one delta (tool
 * calls numbered as streams number them), then its finish; then usage for a client that asked.
 */
export function chunksOfCompletion(body: Record<string, unknown>, withUsage: boolean): unknown[] {
  const base = {
    id: body.id,
    object: 'chat.completion.chunk',
    created: body.created,
    model: body.model,
    ...(body.system_fingerprint !== undefined ? { system_fingerprint: body.system_fingerprint } : {}),
  };
  const choices = body.choices as {
    index?: number;
    message?: Record<string, unknown>;
    finish_reason?: unknown;
    logprobs?: unknown;
  }[];
  const out: unknown[] = [];
  for (const [position, choice] of choices.entries()) {
    const index = choice.index ?? position;
    const { tool_calls: calls, ...message } = choice.message ?? {};
    const delta = {
      ...message,
      ...(Array.isArray(calls) ? { tool_calls: calls.map((c, i) => ({ index: i, ...(c as object) })) } : {}),
    };
    out.push({
      ...base,
      choices: [{ index, delta, logprobs: choice.logprobs ?? null, finish_reason: null }],
    });
    out.push({ ...base, choices: [{ index, delta: {}, finish_reason: choice.finish_reason ?? 'stop' }] });
  }
  if (withUsage && body.usage !== undefined) out.push({ ...base, choices: [], usage: body.usage });
  return out;
}
