/** A one-line progress bar on stderr when it is a terminal; silent when piped or in CI. */
export interface Progress {
  update(done: number): void;
  finish(message?: string): void;
}

const SILENT: Progress = { update: () => {}, finish: () => {} };

export function progressBar(label: string, total: number, options: { enabled?: boolean } = {}): Progress {
  const enabled = (options.enabled ?? true) && Boolean(process.stderr.isTTY) && !process.env.CI;
  if (!enabled) return SILENT;
  let last = 0;
  const started = Date.now();
  const draw = (done: number) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = done / seconds;
    process.stderr.write(
      `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)} ${formatBytes(rate)}/s `,
    );
  };
  return {
    update(done) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done);
    },
    finish(message) {
      draw(total);
      process.stderr.write(message ? `\n${message}\n` : '\n');
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
