import { PlumbError } from '../../core/errors.js';

/**
 * A step's failure that another attempt would not change (a failed validation, a gate that did
 * not pass, a rejected approval): the step fails at once, whatever its retries.
 */
export class FinalStepFailure extends PlumbError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('failed_precondition', message, details ? { details } : {});
  }
}

/** The step ran past its timeout. */
export class StepTimeout extends PlumbError {
  constructor(ms: number) {
    super('unavailable', `the step ran longer than its timeout of ${Math.round(ms / 1000)} s`);
  }
}

/** Delay before attempt `n + 1` after `n` failed attempts: base × factor^(n−1), capped, less up to `jitter` of it. */
export function backoffMs(
  failed: number,
  policy: { baseMs: number; factor: number; capMs: number; jitter: number },
  random: () => number = Math.random,
): number {
  const raw = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.max(0, failed - 1));
  return Math.round(raw * (1 - policy.jitter * random()));
}
