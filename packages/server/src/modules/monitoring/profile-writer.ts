import { performance } from 'node:perf_hooks';
import { ulid } from '../../core/ids.js';
import type { CommittedEvent } from '../events/events.service.js';
import { type BinIndex, FeatureWindow } from './feature-window.js';
import type { ProfileRow, ProfilesRepo } from './profiles.repo.js';

/** The finest window profiles are written at; monitor windows are multiples of it. */
export const BASE_WINDOW_MS = 3_600_000;
/** Input fields profiled per event at most, so one odd event cannot grow memory without bound. */
const MAX_FEATURES_PER_EVENT = 200;
/**
 * A flush step serializes rows for about this long (a row of a busy feature takes 0.1–0.3 ms)
 * or up to this many rows (each at most 16 KB), then writes them and lets requests run.
 */
const FLUSH_STEP_MS = 2;
const FLUSH_STEP_ROWS = 64;
/** The prediction's own outputs, monitored like inputs under these names. */
export const OUTPUT_FEATURES = ['output.label', 'output.score', 'output.confidence'] as const;

export interface ProfileWriterOptions {
  /** Open windows are written this often; a restart loses at most this much of their events. */
  flushMs: number;
  now(): number;
  onError(error: unknown): void;
}

/** Frozen bins of an endpoint's monitors, by feature. */
export type EndpointBins = ReadonlyMap<string, readonly BinIndex[]>;

interface OpenWindow {
  projectId: string;
  endpoint: string;
  modelVersion: string;
  start: number;
  part: string;
  features: Map<string, FeatureWindow>;
  events: number;
  dirty: boolean;
}

/**
 * Profiles committed events in memory, one FeatureWindow per endpoint × model version × feature ×
 * hour, and writes each open window as this process's part every `flushMs` and once more after
 * it closed. Parts of other processes, and of this one before a restart, are separate rows that
 * reads merge; a window reopened by a late event after it was written gets a new part.
 */
export class ProfileWriter {
  private readonly open = new Map<string, OpenWindow>();
  private readonly bins = new Map<string, EndpointBins>();
  private readonly process = ulid();
  private parts = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly repo: ProfilesRepo,
    private readonly options: ProfileWriterOptions,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.flush().catch(this.options.onError);
    }, this.options.flushMs);
    this.timer.unref();
  }

  /** Sets the frozen bins counted for an endpoint's features from now on. */
  setBins(projectId: string, endpoint: string, bins: EndpointBins): void {
    this.bins.set(`${projectId}\u0000${endpoint}`, bins);
  }

  /** The events listener: quick, in memory only. */
  readonly ingest = (events: CommittedEvent[]): void => {
    for (const { row, inputs } of events) {
      if (!row.endpoint || row.arm === 'shadow') continue;
      const start = Math.floor(row.time / BASE_WINDOW_MS) * BASE_WINDOW_MS;
      const w = this.window(row.project_id, row.endpoint, row.model_version ?? '', start);
      const bins = this.bins.get(`${row.project_id}\u0000${row.endpoint}`);
      if (inputs !== null && typeof inputs === 'object' && !Array.isArray(inputs)) {
        let n = 0;
        for (const [name, value] of Object.entries(inputs as Record<string, unknown>)) {
          if (n++ >= MAX_FEATURES_PER_EVENT) break;
          this.feature(w, name, bins).update(value);
        }
      }
      const outputs = [row.label, row.score, row.confidence];
      OUTPUT_FEATURES.forEach((name, i) => {
        const v = outputs[i];
        if (v !== null && v !== undefined) this.feature(w, name, bins).update(v);
      });
      w.events++;
      w.dirty = true;
    }
  };

  /** Writes every window changed since its last write; closed windows leave memory once written. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
  }

  /**
   * Writes dirty windows in steps: each step serializes rows for at most `FLUSH_STEP_MS` or
   * `FLUSH_STEP_ROWS` rows, writes them in one transaction, and yields to the event loop before
   * the next, so a flush of many endpoints × features never holds up the requests it serves by
   * more than a step. A part is rewritten whole, so a failed step leaves its windows (and those
   * not reached) dirty for the next flush; steps written before it stay.
   */
  private async write(): Promise<void> {
    const now = this.options.now();
    // Features added while the flush yields mark their window dirty: they go in the next flush.
    const pending: [OpenWindow, string, FeatureWindow][] = [];
    for (const w of this.open.values())
      if (w.dirty) for (const [feature, fw] of w.features) pending.push([w, feature, fw]);
    const reached = new Set<OpenWindow>();
    let next = 0;
    while (next < pending.length) {
      const started = performance.now();
      const rows: ProfileRow[] = [];
      const step = new Set<OpenWindow>();
      while (
        next < pending.length &&
        rows.length < FLUSH_STEP_ROWS &&
        (rows.length === 0 || performance.now() - started < FLUSH_STEP_MS)
      ) {
        const [w, feature, fw] = pending[next++]!;
        // Events ingested from here on (also between this window's steps) mark it dirty again.
        if (!reached.has(w)) {
          w.dirty = false;
          reached.add(w);
        }
        step.add(w);
        rows.push({
          project_id: w.projectId,
          endpoint: w.endpoint,
          model_version: w.modelVersion,
          feature,
          level_ms: BASE_WINDOW_MS,
          window_start: w.start,
          part: w.part,
          events: fw.profile.count,
          profile: fw.serialize(),
          updated_at: now,
        });
      }
      try {
        await this.repo.upsert(rows);
      } catch (error) {
        for (const w of step) w.dirty = true;
        // Windows not reached are still dirty; the rest of a window cut by this step is too.
        for (let i = next; i < pending.length; i++) pending[i]![0].dirty = true;
        throw error;
      }
      if (next < pending.length) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (const [key, w] of this.open) {
      if (!w.dirty && w.start + BASE_WINDOW_MS <= now) this.open.delete(key);
    }
  }

  private window(projectId: string, endpoint: string, modelVersion: string, start: number): OpenWindow {
    const key = `${projectId}\u0000${endpoint}\u0000${modelVersion}\u0000${start}`;
    let w = this.open.get(key);
    if (!w) {
      w = {
        projectId,
        endpoint,
        modelVersion,
        start,
        part: `${this.process}-${++this.parts}`,
        features: new Map(),
        events: 0,
        dirty: false,
      };
      this.open.set(key, w);
    }
    return w;
  }

  private feature(w: OpenWindow, name: string, bins: EndpointBins | undefined): FeatureWindow {
    let fw = w.features.get(name);
    if (!fw) {
      fw = new FeatureWindow();
      for (const index of bins?.get(name) ?? []) fw.track(index);
      w.features.set(name, fw);
    }
    return fw;
  }
}
