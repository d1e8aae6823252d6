import { writeFileSync } from 'node:fs';
import type { AirportEncoding, EncodedFlight } from './airport-encoding.js';
import type { Flight } from './flights-data.js';

/** A labelled flight with its inputs as the model reads them: one row of a demo dataset. */
export type LabelledFlight = EncodedFlight & { time: string; delayed: 0 | 1 };

export const FLIGHT_COLUMNS = [
  'time',
  'origin',
  'destination',
  'distance',
  'hour',
  'weekday',
  'origin_rate',
  'destination_rate',
  'delayed',
] as const;

export function labelled(encoding: AirportEncoding, f: Flight): LabelledFlight {
  return { time: f.time, ...encoding.encode(f), delayed: f.delayed };
}

/**
 * Writes rows as CSV. Airport codes and numbers need no quoting, and the same rows always give
 * the same bytes, so adding the file again finds the version that already holds it.
 */
export function writeFlightsCsv(path: string, rows: LabelledFlight[]): void {
  const lines = [FLIGHT_COLUMNS.join(',')];
  for (const r of rows) lines.push(FLIGHT_COLUMNS.map((c) => String(r[c])).join(','));
  writeFileSync(path, `${lines.join('\n')}\n`);
}
