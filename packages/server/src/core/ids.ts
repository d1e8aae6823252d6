import { randomFillSync } from 'node:crypto';

// Crockford base32: sortable as text, no ambiguous letters.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Random bytes are drawn from the system in blocks: one call per id cost more than the rest of
// making the id, and ids are made on every request and every logged event.
const POOL = Buffer.allocUnsafe(4096);
let poolOffset = POOL.length;

let lastTime = -1;
let lastTimeText = '';
const lastRandom = new Uint8Array(10);

function refillRandom(): void {
  if (poolOffset + 10 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  lastRandom.set(POOL.subarray(poolOffset, poolOffset + 10));
  poolOffset += 10;
}

function incrementRandom(): void {
  for (let i = lastRandom.length - 1; i >= 0; i--) {
    if (lastRandom[i] === 255) lastRandom[i] = 0;
    else {
      lastRandom[i]! += 1;
      break;
    }
  }
}

/** Five bytes, most significant first, as eight base32 characters. */
function encode40(b: Uint8Array, at: number): string {
  const b0 = b[at]!;
  const b1 = b[at + 1]!;
  const b2 = b[at + 2]!;
  const b3 = b[at + 3]!;
  const b4 = b[at + 4]!;
  return (
    ALPHABET[b0 >> 3]! +
    ALPHABET[((b0 & 7) << 2) | (b1 >> 6)]! +
    ALPHABET[(b1 >> 1) & 31]! +
    ALPHABET[((b1 & 1) << 4) | (b2 >> 4)]! +
    ALPHABET[((b2 & 15) << 1) | (b3 >> 7)]! +
    ALPHABET[(b3 >> 2) & 31]! +
    ALPHABET[((b3 & 3) << 3) | (b4 >> 5)]! +
    ALPHABET[b4 & 31]!
  );
}

/** The 10-character time part of a ULID: 48 bits of milliseconds, most significant first. */
export function encodeTime(ms: number): string {
  let t = ms;
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/**
 * A ULID: 48 bits of milliseconds then 80 random bits, 26 characters. Within one millisecond
 * the random part is incremented so ids made by this process stay strictly increasing.
 */
export function ulid(now = Date.now()): string {
  if (now <= lastTime) {
    incrementRandom();
  } else {
    lastTime = now;
    lastTimeText = encodeTime(now);
    refillRandom();
  }
  return lastTimeText + encode40(lastRandom, 0) + encode40(lastRandom, 5);
}

/** Prefixed, sortable id such as `prj_01JD…`. */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}
