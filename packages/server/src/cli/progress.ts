/**
 * The CLI's one progress reporter: a line on stderr redrawn in place. The caller says whether
 * stderr is a terminal a person watches (`showsProgress` in cli-context decides, once); when it
 * is not, nothing is written, so piped output and CI logs stay clean.
 */
export interface Progress {
  /** `done` of `total` so far; the label may change (e.g. an evaluation going queued → running). */
  update(done: number, total: number, label?: string): void;
  finish(message?: string): void;
}

export interface ProgressOptions {
  /** Whether stderr is a terminal; false makes the reporter silent. */
  tty: boolean;
  label: string;
  /** Bytes show sizes and a rate; rows show counts. */
  unit: 'bytes' | 'rows';
  stream?: { write(text: string): unknown };
  now?: () => number;
}

const SILENT: Progress = { update: () => {}, finish: () => {} };
/** Redraws at most ten times a second: a 1 GB upload reports every megabyte. */
const REDRAW_MS = 100;
const WIDTH = 24;

export function createProgress(options: ProgressOptions): Progress {
  if (!options.tty) return SILENT;
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const started = now();
  let label = options.label;
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  const draw = (done: number, total: number) => {
    drawn = true;
    // Nothing to do yet (an evaluation still queued) is 0%, not done.
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * WIDTH);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
    const amount =
      options.unit === 'bytes'
        ? `${formatBytes(done)}/${formatBytes(total)} ${formatBytes(done / Math.max(0.001, (now() - started) / 1000))}/s`
        : `${done.toLocaleString('en')}/${total.toLocaleString('en')} rows`;
    stream.write(`\r${label} ${bar} ${amount} `);
  };
  return {
    update(done, total, newLabel) {
      if (newLabel !== undefined) label = newLabel;
      const t = now();
      if (t - last < REDRAW_MS && done < total) return;
      last = t;
      draw(done, total);
    },
    finish(message) {
      // The last update always draws (done reached total), so only the line needs ending.
      if (drawn || message) stream.write(`${drawn ? '\n' : ''}${message ? `${message}\n` : ''}`);
    },
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
