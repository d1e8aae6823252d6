/** What the server sends: `Date.prototype.toISOString()` output, UTC. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/;

export function isTimestamp(value: unknown): value is string {
  return typeof value === 'string' && ISO_TIMESTAMP.test(value);
}

/**
 * The one way the CLI shows times to people: `2001-01-01 00:01Z` for a timestamp (minutes are
 * enough to read a table; `--json` keeps the milliseconds) and `2001-01-01` for a date, which
 * stays a date. Takes ISO-8601 text or epoch milliseconds.
 */
export function formatTime(value: string | number, kind: 'timestamp' | 'date' = 'timestamp'): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const iso = date.toISOString();
  return kind === 'date' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}
