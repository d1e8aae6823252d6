import { describe, expect, it } from 'vitest';
import { PredictionCache } from './prediction-cache.js';
import { manualClock } from './serving.test-kit.js';

describe('the prediction cache', () => {
  it('keeps at most its bound, dropping the least recently used first', () => {
    const cache = new PredictionCache<number>(manualClock(), 2);
    cache.set('a', 1, 1000);
    cache.set('b', 2, 1000);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3, 1000);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('forgets an entry once its time to live has passed', () => {
    const clock = manualClock();
    const cache = new PredictionCache<number>(clock, 10);
    cache.set('a', 1, 500);
    clock.advance(499);
    expect(cache.get('a')).toBe(1);
    clock.advance(1);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
