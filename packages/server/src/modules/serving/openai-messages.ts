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

  add(chunk: { choices?: unknown }): void {
    if (!Array.isArray(chunk.choices)) return;
    for (const choice of chunk.choices as { index?: number; delta?: Delta }[]) {
      if ((choice.index ?? 0) !== 0 || !choice.delta) continue;
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
