import { z } from 'zod';

// The part of an OpenAI chat-completions request Plumb reads; every other field is passed
// through to the upstream untouched.

const Message = z.looseObject({
  role: z.string().min(1),
  content: z.unknown().optional(),
});

export const ChatCompletionRequest = z.looseObject({
  /** The Plumb endpoint's name. */
  model: z.string().min(1).max(200),
  messages: z.array(Message).min(1, 'give at least one message'),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  /** Passed on, and used as the route key when no x-plumb-route-key header is sent. */
  user: z.string().max(500).optional(),
  /** Logged as the inference event's tags. */
  metadata: z.record(z.string().max(64), z.string().max(512)).nullable().optional(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

/** What the route answers; the body is the upstream's, so only its outline is checked. */
export const ChatCompletion = z.looseObject({
  id: z.string().optional(),
  object: z.string().optional(),
  choices: z.array(z.unknown()).optional(),
  usage: z.unknown().optional(),
});
