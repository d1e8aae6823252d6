/** How much of flights-3m.parquet the demo reads: per mille of each month, by a content hash. */
export interface DemoPlan {
  /** Training sample of January–February. */
  trainPerMille: number;
  /** A disjoint evaluation sample of January–February. */
  holdoutPerMille: number;
  /** Traffic replayed for each of March–June. */
  replayPerMille: number;
  /** Rows the trainer fits on at most (every k-th row of its file). */
  trainRows: number;
  /** Months replayed as traffic, `YYYY-MM`. */
  months: string[];
  /** Labels arrive this many hours after the flight's departure. */
  labelDelayHours: number;
}

export const REPLAY_MONTHS = ['2001-03', '2001-04', '2001-05', '2001-06'];

/**
 * The default reads about 58,000 flights of January–February and 2.5 % (about 50,000 flights) of
 * March–June as traffic: monthly windows of about 12,500 predictions, within the time a first
 * look should take on two cores.
 */
export const DEFAULT_PLAN: DemoPlan = {
  trainPerMille: 40,
  holdoutPerMille: 20,
  replayPerMille: 25,
  trainRows: 10_000,
  months: REPLAY_MONTHS,
  labelDelayHours: 24,
};

/**
 * A short replay (tests, `--quick`): the default samples, March alone (about 12,700 flights).
 * Days keep the default's size on purpose: a day of a few dozen flights drifts on sampling noise
 * alone, so the alert would open on the first day and retraining would have a day of labels.
 */
export const QUICK_PLAN: DemoPlan = {
  ...DEFAULT_PLAN,
  months: REPLAY_MONTHS.slice(0, 1),
};
