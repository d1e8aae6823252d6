// Seeded pseudo-random numbers for resampling: xoshiro128** (Blackman & Vigna, 2018), a 128-bit
// state generator with period 2^128 - 1, seeded through SplitMix64 as its authors recommend so
// that nearby seeds give unrelated streams.

const MASK64 = (1n << 64n) - 1n;

function splitMix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** State from a seed in [0, 2^32): two SplitMix64 outputs, low word first. */
  static fromSeed(seed: number): Xoshiro128 {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError('seed must be an integer in [0, 2^32)');
    }
    const [st1, a] = splitMix64(BigInt(seed));
    const [, b] = splitMix64(st1);
    const w = (x: bigint, shift: bigint): number => Number((x >> shift) & 0xffffffffn);
    return new Xoshiro128([w(a, 0n), w(a, 32n), w(b, 0n), w(b, 32n)]);
  }

  /** Raw state; must not be all zero. */
  constructor(state: readonly [number, number, number, number]) {
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0) as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0)
      throw new RangeError('xoshiro128 state must not be all zero');
  }

  /** Next 32-bit unsigned output. */
  nextUint32(): number {
    const x = Math.imul(this.s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform integer in [0, n), n <= 2^32, without modulo bias (rejection sampling). */
  nextInt(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }
}
