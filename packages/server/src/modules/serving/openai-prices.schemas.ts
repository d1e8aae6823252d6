import { PageQuery } from '@plumb/sdk';
import { z } from 'zod';

// The wire contract of the price table: REST bodies and answers, and what the CLI checks.

/** `2026-01-01` (midnight UTC) or an ISO-8601 time with an offset. */
const EffectiveFrom = z
  .string()
  .refine(
    (s) =>
      (/^\d{4}-\d{2}-\d{2}$/.test(s) || /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(s)) &&
      !Number.isNaN(Date.parse(s)),
    'expected a date (2026-01-01) or an ISO-8601 time with an offset',
  );

const PerMillion = z.number().min(0, 'must not be negative').max(1_000_000).finite();

export const SetPrice = z
  .object({
    /** The model name the OpenAI-compatible upstream serves (a version's `artifact.model`). */
    upstreamModel: z.string().min(1).max(200),
    /** USD per million prompt tokens. */
    inputPer1m: PerMillion,
    /** USD per million completion tokens. */
    outputPer1m: PerMillion,
    from: EffectiveFrom,
  })
  .strict();
export type SetPrice = z.infer<typeof SetPrice>;

export const Price = z.object({
  id: z.string(),
  upstreamModel: z.string(),
  inputPer1m: z.number(),
  outputPer1m: z.number(),
  /** In effect from this time until the model's next price. */
  from: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type Price = z.infer<typeof Price>;

export const ListPrices = PageQuery.extend({ upstreamModel: z.string().min(1).max(200).optional() });
export type ListPrices = z.infer<typeof ListPrices>;
