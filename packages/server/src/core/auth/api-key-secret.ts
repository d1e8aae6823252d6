import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'plumb_';

/** A new secret: `plumb_` and 32 random bytes in base64url (256 bits). */
export function generateSecret(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Secrets carry 256 random bits, so a fast hash is enough: there is nothing to brute-force
 * that a slow password hash would protect, and every request pays for the lookup.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What lists show to tell keys apart without revealing them. */
export function displayPrefix(secret: string): string {
  return secret.slice(0, PREFIX.length + 6);
}

export function looksLikeSecret(value: string): boolean {
  return /^plumb_[A-Za-z0-9_-]{32,}$/.test(value);
}
