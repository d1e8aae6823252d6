import { type Clock, isoNow } from '../../core/clock.js';
import type { PipelinesRepo } from './pipelines.repo.js';

/** Lines are written at least this often while a step runs, so `logs --follow` stays current. */
const FLUSH_MS = 200;
const FLUSH_LINES = 200;

/** Buffers an attempt's output lines and writes them in small batches, in order. */
export class LogWriter {
  private buffer: { stream: string; text: string; time: string }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: PipelinesRepo,
    private readonly clock: Clock,
    private readonly runId: string,
    private readonly step: string,
    private readonly attempt: number,
  ) {}

  line(stream: 'stdout' | 'stderr' | 'system', text: string): void {
    this.buffer.push({ stream, text, time: isoNow(this.clock) });
    if (this.buffer.length >= FLUSH_LINES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const lines = this.buffer;
    this.buffer = [];
    if (lines.length === 0) return;
    this.writing = this.writing
      .then(() =>
        this.repo.appendLogs(
          lines.map((l) => ({ run_id: this.runId, step: this.step, attempt: this.attempt, ...l })),
        ),
      )
      // Losing a log batch must not fail the step; the next batch is still written.
      .catch(() => {});
  }

  /** Writes what is buffered and waits for every write. */
  async close(): Promise<void> {
    this.flush();
    await this.writing;
  }
}
