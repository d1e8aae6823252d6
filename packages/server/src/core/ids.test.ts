import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { encodeTime, newId, ulid } from './ids.js';

describe('ids', () => {
  it('are prefixed, 26 Crockford characters, and strictly increasing within a millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newId('prj'));
    for (const id of ids) expect(id).toMatch(/^prj_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keep increasing when the clock stands still or steps back', () => {
    const t = Date.now() + 10_000;
    const [a, b, c] = [ulid(t), ulid(t), ulid(t - 5)];
    expect(a.slice(0, 10)).toBe(encodeTime(t));
    expect(b.slice(0, 10)).toBe(a.slice(0, 10));
    expect(a < b && b < c).toBe(true);
    // Equal leading random characters: only the low bits moved.
    expect(b.slice(0, 20)).toBe(a.slice(0, 20));
  });

  it('encode the time first so they sort by creation time', () => {
    expect(encodeTime(Date.UTC(2020, 0, 1)) < encodeTime(Date.UTC(2030, 0, 1))).toBe(true);
    // The ULID specification's example: 1469918176385 ms encodes to 01ARYZ6S41.
    expect(encodeTime(1469918176385)).toBe('01ARYZ6S41');
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"z":1}]},"b":1}',
    );
  });
  it('refuses numbers JSON cannot hold', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
  });
});
