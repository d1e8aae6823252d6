import type { Flight } from './flights-data.js';

/** The numeric inputs the model reads, in its order. */
export const MODEL_FEATURES = ['distance', 'hour', 'weekday', 'origin_rate', 'destination_rate'] as const;

/** A flight as the endpoint receives it: model inputs plus the airports, kept for slices and monitoring. */
// A type, not an interface, so it is also a Record<string, unknown> for the serving helpers.
export type EncodedFlight = {
  distance: number;
  hour: number;
  weekday: number;
  origin: string;
  destination: string;
  origin_rate: number;
  destination_rate: number;
};

export interface AirportEncodingTable {
  /** Share of delayed flights in the training data. */
  overall: number;
  /** How many flights of prior weight pull a rare airport's rate towards `overall`. */
  smoothing: number;
  origin: Record<string, number>;
  destination: Record<string, number>;
}

/**
 * Origin and destination enter the model as their smoothed delay rate in the training data
 * (target encoding), since an endpoint's inputs are numbers: two features instead of hundreds of
 * one-hot columns. The table is fitted once on the first training data and kept, so every model
 * trained later reads the same features and champion and candidate can be evaluated on one file.
 * Airports the table never saw get the overall rate.
 */
export class AirportEncoding {
  constructor(readonly table: AirportEncodingTable) {}

  static fit(flights: Flight[], smoothing = 100): AirportEncoding {
    const overall = flights.filter((f) => f.delayed === 1).length / Math.max(1, flights.length);
    const rates = (key: 'origin' | 'destination') => {
      const counts = new Map<string, { n: number; late: number }>();
      for (const f of flights) {
        const c = counts.get(f[key]) ?? { n: 0, late: 0 };
        c.n++;
        if (f.delayed === 1) c.late++;
        counts.set(f[key], c);
      }
      const out: Record<string, number> = {};
      for (const [airport, c] of [...counts].sort(([a], [b]) => (a < b ? -1 : 1))) {
        out[airport] = round4((c.late + smoothing * overall) / (c.n + smoothing));
      }
      return out;
    };
    return new AirportEncoding({
      overall: round4(overall),
      smoothing,
      origin: rates('origin'),
      destination: rates('destination'),
    });
  }

  encode(f: Flight): EncodedFlight {
    return {
      distance: f.distance,
      hour: f.hour,
      weekday: f.weekday,
      origin: f.origin,
      destination: f.destination,
      origin_rate: this.table.origin[f.origin] ?? this.table.overall,
      destination_rate: this.table.destination[f.destination] ?? this.table.overall,
    };
  }
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
