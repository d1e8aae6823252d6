import type { ErrorCode } from '@plumb/sdk';

/** The one table from error code to HTTP status. */
export const STATUS_OF: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  already_exists: 409,
  conflict: 409,
  failed_precondition: 412,
  payload_too_large: 413,
  unavailable: 503,
  internal: 500,
};
