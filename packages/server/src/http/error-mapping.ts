import { PlumbError } from '../core/errors.js';

/**
 * Turns anything thrown while serving a request into a PlumbError. Fastify's own errors carry
 * an HTTP status; they are mapped to the closed code set so clients never see another shape.
 */
export function toPlumbError(error: unknown): PlumbError {
  if (error instanceof PlumbError) return error;
  if (error instanceof Error) {
    const status = (error as { statusCode?: number }).statusCode;
    const code = (error as { code?: string }).code;
    if (status === 413 || code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return new PlumbError('payload_too_large', 'the request body is larger than the server accepts', {
        cause: error,
      });
    }
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) {
      return new PlumbError('invalid_argument', 'send the body as application/json', { cause: error });
    }
    if (error instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return new PlumbError('invalid_argument', `the request body is not valid JSON: ${error.message}`, {
        cause: error,
      });
    }
    if (status !== undefined && status >= 400 && status < 500) {
      return new PlumbError('invalid_argument', error.message, { cause: error });
    }
    if (status === 503) return new PlumbError('unavailable', error.message, { cause: error });
  }
  return new PlumbError('internal', 'internal error', { cause: error });
}
