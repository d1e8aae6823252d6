import { PlumbError } from '../../core/errors.js';

export interface BackoffOptions {
  /** Delay before the first retry; doubles with each further attempt. Default 1 s. */
  baseMs?: number;
  /** Longest delay. Default 10 min. */
  capMs?: number;
  /**
   * Fraction of the delay that is randomized away (0 to 1), so jobs that failed together do
   * not all retry at the same instant. Default 0.2.
   */
  jitter?: number;
  /** Source of randomness in [0, 1) for the jitter; tests pass a constant. */
  random?: () => number;
}

/** The delay before retrying a failed attempt, the same for every queue backend. */
export class RetryBackoff {
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 1000;
    this.capMs = options.capMs ?? 10 * 60 * 1000;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
    if (!(this.baseMs >= 0 && this.capMs >= this.baseMs && this.jitter >= 0 && this.jitter <= 1)) {
      throw new PlumbError('invalid_argument', 'backoff needs 0 <= baseMs <= capMs and 0 <= jitter <= 1');
    }
  }

  /** Delay after failed attempt number `attempt` (1-based): base·2^(attempt−1), capped, minus jitter. */
  delayMs(attempt: number): number {
    const exponential = Math.min(this.capMs, this.baseMs * 2 ** Math.min(attempt - 1, 52));
    return Math.round(exponential * (1 - this.jitter * this.random()));
  }
}
