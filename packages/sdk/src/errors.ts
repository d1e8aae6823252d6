import { z } from 'zod';

/** The closed set of error codes every Plumb interface speaks. */
export const ErrorCode = z.enum([
  'invalid_argument',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'already_exists',
  'failed_precondition',
  'conflict',
  'payload_too_large',
  'unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorEnvelope = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    /** Always present, `{}` when there is nothing to add; older servers left it out. */
    details: z.unknown().default({}),
  }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

/**
 * The one error type of Plumb. The server throws it from domain code; the client rebuilds it
 * from the error envelope, so callers on either side catch the same class and switch on `code`.
 */
export class PlumbError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PlumbError';
    this.code = code;
    this.details = options.details;
  }

  toEnvelope(): ErrorEnvelope {
    return { error: { code: this.code, message: this.message, details: this.details ?? {} } };
  }

  static is(value: unknown, code?: ErrorCode): value is PlumbError {
    return value instanceof PlumbError && (code === undefined || value.code === code);
  }
}
