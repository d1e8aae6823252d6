import type { TokenUsage } from './openai-prices.service.js';

/**
 * The assistant message a stream spells out chunk by chunk: content and refusal concatenated,
 * tool calls merged by index. Only the first choice is kept, as the one logged.
 */
export class AssistantMessage {
  private role = 'assistant';
  private content: string | null = null;
  private refusal: string | null = null;
  private readonly toolCalls = new Map<
    number,
    { id?: string; type?: string; function: { name: string; arguments: string } }
  >();

  /** The first choice's finish reason, once a chunk gave it. */
  finishReason: string | null = null;
  /** A chunk carried a choice other than the first (`n` > 1), which this message does not hold. */
  otherChoices = false;
  /** A chunk carried log probabilities, which this message does not hold. */
  logprobs = false;

  add(chunk: { choices?: unknown }): void {
    if (!Array.isArray(chunk.choices)) return;
    for (const choice of chunk.choices as {
      index?: number;
      delta?: Delta;
      finish_reason?: unknown;
      logprobs?: unknown;
    }[]) {
      if ((choice.index ?? 0) !== 0) this.otherChoices = true;
      if ((choice.index ?? 0) !== 0 || !choice.delta) continue;
      if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
      if (choice.logprobs !== null && choice.logprobs !== undefined) this.logprobs = true;
      const delta = choice.delta;
      if (typeof delta.role === 'string') this.role = delta.role;
      if (typeof delta.content === 'string') this.content = (this.content ?? '') + delta.content;
      if (typeof delta.refusal === 'string') this.refusal = (this.refusal ?? '') + delta.refusal;
      for (const call of Array.isArray(delta.tool_calls) ? delta.tool_calls : []) {
        const index = typeof call.index === 'number' ? call.index : 0;
        const merged = this.toolCalls.get(index) ?? { function: { name: '', arguments: '' } };
        if (typeof call.id === 'string') merged.id = call.id;
        if (typeof call.type === 'string') merged.type = call.type;
        if (typeof call.function?.name === 'string') merged.function.name += call.function.name;
        if (typeof call.function?.arguments === 'string')
          merged.function.arguments += call.function.arguments;
        this.toolCalls.set(index, merged);
      }
    }
  }

  value(): Record<string, unknown> {
    return {
      role: this.role,
      content: this.content,
      ...(this.refusal !== null ? { refusal: this.refusal } : {}),
      ...(this.toolCalls.size > 0
        ? { tool_calls: [...this.toolCalls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c) }
        : {}),
    };
  }
}

interface Delta {
  role?: unknown;
  content?: unknown;
  refusal?: unknown;
  tool_calls?: {
    index?: unknown;
    id?: unknown;
    type?: unknown;
    function?: { name?: unknown; arguments?: unknown };
  }[];
}

/** OpenAI's `usage`, or null when the upstream reported none (or not as numbers). */
export function usageOf(usage: unknown): TokenUsage | null {
  const u = usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined;
  if (!u || typeof u.prompt_tokens !== 'number' || typeof u.completion_tokens !== 'number') return null;
  return { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens };
}

/**
 * The messages as they may be logged: the endpoint's redaction applies to the request's
 * `messages` field (dropping or hashing the conversation whole) and to each message's fields
 * (e.g. `content: hash` keeps roles and hashes what was said).
 */
export function loggedMessages(messages: unknown[], redact: (row: unknown) => unknown): unknown {
  const top = redact({ messages }) as { messages?: unknown };
  if (!Array.isArray(top.messages) || top.messages !== messages) return top;
  return { messages: messages.map((m) => redact(m)) };
}

/**
 * The endpoint's default response as an assistant message: a string is its content; an object
 * with a string `content` is the message. Anything else (a classifier's default) is none.
 */
export function defaultMessageOf(value: unknown): Record<string, unknown> | null {
  if (typeof value === 'string') return { role: 'assistant', content: value };
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { content?: unknown }).content === 'string'
  ) {
    return { role: 'assistant', ...(value as Record<string, unknown>) };
  }
  return null;
}

/** A chunk's JSON, or null for data that is not a JSON object. */
export function parseChunk(data: string): { choices?: unknown; usage?: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(data);
    return parsed !== null && typeof parsed === 'object' ? (parsed as { choices?: unknown }) : null;
  } catch {
    return null;
  }
}

/** OpenAI's error body. */
export function openAiError(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** A whole completion of one message, as Plumb answers it itself (the default response). */
export function completionOf(id: string, model: string, at: Date, message: Record<string, unknown>) {
  return {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: Math.floor(at.getTime() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: 'stop', logprobs: null }],
  };
}

/** The same message as stream chunks: the message as one delta, then the finish. */
export function chunksOf(id: string, model: string, at: Date, message: Record<string, unknown>) {
  const base = {
    id: `chatcmpl-${id}`,
    object: 'chat.completion.chunk',
    created: Math.floor(at.getTime() / 1000),
    model,
  };
  return [
    { ...base, choices: [{ index: 0, delta: message, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  ];
}
