import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PlumbError } from '../core/errors.js';
import { AnalyticsEngine, quoteLiteral } from '../storage/analytics/duckdb-engine.js';

/** One flight as the demo's data and traffic carry it: model inputs, slicing fields and the label. */
export interface Flight {
  /** Scheduled departure, ISO-8601 UTC (the data has no zone; its clock is read as UTC). */
  time: string;
  origin: string;
  destination: string;
  distance: number;
  /** Hour of departure, 0–23. */
  hour: number;
  /** ISO weekday, 1 (Monday) to 7. */
  weekday: number;
  /** 1 when the flight left more than 15 minutes late, else 0. */
  delayed: 0 | 1;
  /** The sample bucket, 0–999, from a hash of the row. */
  bucket: number;
}

export const DEFAULT_FLIGHTS_FILE = 'node_modules/vega-datasets/data/flights-3m.parquet';

/**
 * Reads flights-3m.parquet (vega-datasets: 3 M US domestic flights, January to June 2001)
 * through DuckDB. Samples are chosen by a hash of each row's content, per mille of a month, so
 * the same arguments always give the same rows and disjoint buckets never share a flight.
 */
export class FlightsData {
  private constructor(
    private readonly engine: AnalyticsEngine,
    private readonly file: string,
  ) {}

  static async open(file = DEFAULT_FLIGHTS_FILE): Promise<FlightsData> {
    const path = resolve(file);
    if (!existsSync(path)) {
      throw new PlumbError(
        'failed_precondition',
        `${path} is missing; the demo reads flights-3m.parquet from the vega-datasets package (npm ci installs it)`,
      );
    }
    const engine = await AnalyticsEngine.open({ allowedDirectories: [dirname(path)], threads: 2 });
    return new FlightsData(engine, path);
  }

  /**
   * Flights departing in [from, to) whose sample bucket (0–999) is in [lowBucket, highBucket),
   * in departure order.
   */
  async sample(from: string, to: string, lowBucket: number, highBucket: number): Promise<Flight[]> {
    const rows = await this.engine.query(
      `WITH f AS (
         SELECT date, delay, distance, origin, destination,
                hash(concat_ws('|', date, origin, destination, distance, delay)) % 1000 AS bucket
         FROM read_parquet(${quoteLiteral(this.file)})
         WHERE date >= ?::TIMESTAMP AND date < ?::TIMESTAMP
           AND delay IS NOT NULL AND distance IS NOT NULL AND origin IS NOT NULL AND destination IS NOT NULL
       )
       SELECT strftime(date, '%Y-%m-%dT%H:%M:%SZ') AS time, origin, destination,
              distance::DOUBLE AS distance, hour(date) AS hour, isodow(date) AS weekday,
              CASE WHEN delay > 15 THEN 1 ELSE 0 END AS delayed, bucket
       FROM f WHERE bucket >= ? AND bucket < ?
       ORDER BY date, origin, destination, distance, delay`,
      [from, to, lowBucket, highBucket],
    );
    return rows.map((r) => ({
      time: String(r.time),
      origin: String(r.origin),
      destination: String(r.destination),
      distance: Number(r.distance),
      hour: Number(r.hour),
      weekday: Number(r.weekday),
      delayed: Number(r.delayed) === 1 ? 1 : 0,
      bucket: Number(r.bucket),
    }));
  }

  close(): void {
    this.engine.close();
  }
}
