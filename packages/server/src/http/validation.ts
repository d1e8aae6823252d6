import type { z } from 'zod';
import { PlumbError } from '../core/errors.js';

/** Parses one part of a request; failures name each field and what it expects. */
export function parseInput<S extends z.ZodType>(
  part: 'path' | 'query' | 'body',
  schema: S,
  value: unknown,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: issue.path.join('.') || (part === 'body' ? '(body)' : `(${part})`),
    message: issue.message,
    code: issue.code,
  }));
  const first = issues[0];
  throw new PlumbError(
    'invalid_argument',
    `invalid ${part}: ${first ? `${first.field}: ${first.message}` : 'malformed'}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
    { details: { issues } },
  );
}
