import { createHash } from 'node:crypto';
import type { EndpointSettings } from './endpoint-settings.js';

/**
 * A caller's route key as a point in [0, 1): the first 52 bits of sha256(endpoint, key). The
 * same on every replica and after every restart, so a sticky caller keeps its route while the
 * weights stay the same.
 */
export function routePoint(endpoint: string, key: string): number {
  const digest = createHash('sha256').update(endpoint).update('\0').update(key).digest();
  // 52 bits fit a double exactly: all 32 of the first word, the top 20 of the second.
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4) >>> 12;
  return (high * 2 ** 20 + low) / 2 ** 52;
}

export interface ChosenRoute {
  index: number;
  target: string;
  /** The route with the largest weight (the first of equals) answers as primary, others as canaries. */
  arm: 'primary' | 'canary';
}

/** The route whose share of [0, 1) holds `point`; shares are weight / sum of weights, in order. */
export function chooseRoute(routes: EndpointSettings['routes'], point: number): ChosenRoute {
  const total = routes.reduce((s, r) => s + r.weight, 0);
  let primary = 0;
  for (let i = 1; i < routes.length; i++) if (routes[i]!.weight > routes[primary]!.weight) primary = i;
  let index = routes.length - 1;
  let upTo = 0;
  for (let i = 0; i < routes.length; i++) {
    upTo += routes[i]!.weight / total;
    if (point < upTo) {
      index = i;
      break;
    }
  }
  return { index, target: routes[index]!.target, arm: index === primary ? 'primary' : 'canary' };
}
