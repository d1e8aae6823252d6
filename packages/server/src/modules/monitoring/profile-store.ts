import { type BinIndex, FeatureWindow } from './feature-window.js';
import { BASE_WINDOW_MS } from './profile-writer.js';
import type { ProfileRow, ProfilesRepo, WindowKey } from './profiles.repo.js';

export const DAY_MS = 86_400_000;
/** Coarser windows roll-ups write: days, and blocks of 30 days (aligned to the epoch). */
export const LEVELS = [30 * DAY_MS, DAY_MS, BASE_WINDOW_MS] as const;

export interface RangeQuery {
  from: number;
  to: number;
  features?: readonly string[];
  /** Only this model version's events (`name@vN`). */
  modelVersion?: string;
}

/**
 * Reads merged profiles of any time range from stored windows, never from events: whole 30-day
 * blocks and days come from their roll-ups when these exist, the rest from hourly windows, so a
 * year is about 12 + 30 + 48 reads per feature instead of 8,760. Ranges are cut to whole hours.
 */
export class ProfileStore {
  constructor(private readonly repo: ProfilesRepo) {}

  async merged(key: WindowKey, q: RangeQuery, specs: ReadonlyMap<string, BinIndex>) {
    const features = new Map<string, FeatureWindow>();
    let windows = 0;
    const add = (rows: ProfileRow[]) => {
      for (const r of rows) {
        if (q.modelVersion !== undefined && r.model_version !== q.modelVersion) continue;
        const fw = FeatureWindow.deserialize(r.profile, specs);
        const have = features.get(r.feature);
        if (have) have.merge(fw);
        else features.set(r.feature, fw);
        windows++;
      }
    };
    for (const [level, from, to] of await this.plan(key, q.from, q.to)) {
      add(await this.repo.read(key, level, from, to, q.features));
    }
    return { features, windows };
  }

  /** How many stored profiles `merged` would read and merge for the same query. */
  async size(key: WindowKey, q: RangeQuery): Promise<number> {
    let n = 0;
    for (const [level, from, to] of await this.plan(key, q.from, q.to))
      n += await this.repo.count(key, level, from, to, q.features, q.modelVersion);
    return n;
  }

  /** Each finest window of [from, to) on its own, for per-window results. */
  async perWindow(key: WindowKey, q: RangeQuery, windowMs: number, specs: ReadonlyMap<string, BinIndex>) {
    const rows = await this.repo.read(key, BASE_WINDOW_MS, q.from, q.to, q.features);
    const out = new Map<number, Map<string, FeatureWindow>>();
    for (const r of rows) {
      if (q.modelVersion !== undefined && r.model_version !== q.modelVersion) continue;
      const start = Math.floor(r.window_start / windowMs) * windowMs;
      let features = out.get(start);
      if (!features) {
        features = new Map();
        out.set(start, features);
      }
      const fw = FeatureWindow.deserialize(r.profile, specs);
      const have = features.get(r.feature);
      if (have) have.merge(fw);
      else features.set(r.feature, fw);
    }
    return out;
  }

  /** [level, from, to) reads covering the range: roll-ups where they exist, finer windows elsewhere. */
  async plan(key: WindowKey, from: number, to: number): Promise<[number, number, number][]> {
    const start = Math.floor(from / BASE_WINDOW_MS) * BASE_WINDOW_MS;
    const end = Math.ceil(to / BASE_WINDOW_MS) * BASE_WINDOW_MS;
    const out: [number, number, number][] = [];
    // One look-up per level for the whole range.
    const rolledAt = new Map<number, Map<number, number>>();
    for (const level of LEVELS.slice(0, -1))
      rolledAt.set(level, await this.repo.rollups(key, level, start, end));
    const cover = async (a: number, b: number, li: number): Promise<void> => {
      if (a >= b) return;
      const level = LEVELS[li]!;
      if (level === BASE_WINDOW_MS) {
        out.push([level, a, b]);
        return;
      }
      const first = Math.ceil(a / level) * level;
      const last = Math.floor(b / level) * level;
      if (first >= last) return cover(a, b, li + 1);
      await cover(a, first, li + 1);
      const rolled = rolledAt.get(level)!;
      let run: number | null = null;
      for (let s = first; s < last; s += level) {
        if (rolled.has(s)) {
          run ??= s;
          continue;
        }
        if (run !== null) out.push([level, run, s]);
        run = null;
        await cover(s, s + level, li + 1);
      }
      if (run !== null) out.push([level, run, last]);
      await cover(last, b, li + 1);
    };
    await cover(start, end, 0);
    // Adjacent reads of one level become one: years without roll-ups are one query, not one per day.
    const merged: [number, number, number][] = [];
    for (const [level, a, b] of out.sort((x, y) => x[1] - y[1])) {
      const last = merged[merged.length - 1];
      if (last && last[0] === level && last[2] === a) last[2] = b;
      else merged.push([level, a, b]);
    }
    return merged;
  }

  /**
   * Rolls closed blocks up one level at a time (hours into days, days into 30-day blocks), each
   * block once, again when a late event wrote to it after its roll-up. Returns blocks written.
   */
  async rollUp(now: number, specsOf: (key: WindowKey) => ReadonlyMap<string, BinIndex>): Promise<number> {
    let written = 0;
    for (let li = LEVELS.length - 1; li > 0; li--) {
      const fine = LEVELS[li]!;
      const coarse = LEVELS[li - 1]!;
      for (const block of await this.repo.staleBlocks(fine, coarse, now)) {
        const key = { projectId: block.projectId, endpoint: block.endpoint };
        const rows = await this.repo.read(key, fine, block.start, block.start + coarse);
        const merged = new Map<string, { row: ProfileRow; fw: FeatureWindow; events: number }>();
        const specs = specsOf(key);
        for (const r of rows) {
          const k = `${r.model_version}\u0000${r.feature}`;
          const fw = FeatureWindow.deserialize(r.profile, specs);
          const have = merged.get(k);
          if (have) {
            have.fw.merge(fw);
            have.events += r.events;
          } else merged.set(k, { row: r, fw, events: r.events });
        }
        const out: ProfileRow[] = [...merged.values()].map(({ row, fw, events }) => ({
          ...row,
          level_ms: coarse,
          window_start: block.start,
          part: 'rollup',
          events,
          profile: fw.serialize(),
          updated_at: now,
        }));
        await this.repo.writeRollup(key, coarse, block.start, out, now);
        written++;
      }
    }
    return written;
  }
}
