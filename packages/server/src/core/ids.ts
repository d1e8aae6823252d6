import { randomBytes } from 'node:crypto';

// Crockford base32: sortable as text, no ambiguous letters.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: Uint8Array = new Uint8Array(10);

function encode(bytes: Uint8Array, length: number): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.slice(0, length);
}

function incrementRandom(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] === 255) next[i] = 0;
    else {
      next[i]! += 1;
      break;
    }
  }
  return next;
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
    lastRandom = incrementRandom(lastRandom);
  } else {
    lastTime = now;
    lastRandom = randomBytes(10);
  }
  return encodeTime(lastTime) + encode(lastRandom, 16);
}

/** Prefixed, sortable id such as `prj_01JD…`. */
export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}
