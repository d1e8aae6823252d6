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

/** A short replay (tests, `--quick`): a few hundred flights a month. */
export const QUICK_PLAN: DemoPlan = {
  trainPerMille: 5,
  holdoutPerMille: 3,
  replayPerMille: 2,
  trainRows: 2_500,
  months: REPLAY_MONTHS,
  labelDelayHours: 24,
};
