import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RedactionMode } from '@plumb/sdk';
import { canonicalJson } from '../../core/canonical-json.js';

/**
 * Where the HMAC key of hashed fields comes from: the configured secret, else a key generated
 * once and kept in a file (PLUMB_HOME), so the same value hashes the same across restarts.
 * Replicas must share the configured secret for their hashes to match.
 */
export class RedactionKey {
  private key: Buffer | undefined;

  constructor(private readonly source: { secret?: string | undefined; file: string }) {}

  get(): Buffer {
    if (this.key) return this.key;
    if (this.source.secret) this.key = Buffer.from(this.source.secret, 'utf8');
    else {
      try {
        this.key = Buffer.from(readFileSync(this.source.file, 'utf8').trim(), 'hex');
      } catch {
        const fresh = randomBytes(32);
        mkdirSync(dirname(this.source.file), { recursive: true });
        // wx: if another process wrote it first, its key wins and is read below.
        try {
          writeFileSync(this.source.file, `${fresh.toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
          chmodSync(this.source.file, 0o600);
        } catch {
          // written meanwhile
        }
        this.key = Buffer.from(readFileSync(this.source.file, 'utf8').trim(), 'hex');
      }
    }
    return this.key;
  }
}

/** The row as it may be logged: `drop` fields removed, `hash` fields replaced by their keyed hash. */
export function redactRow(
  row: Record<string, unknown>,
  rules: Record<string, RedactionMode>,
  key: RedactionKey,
): Record<string, unknown> {
  const fields = Object.keys(rules);
  if (fields.length === 0) return row;
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(row)) {
    const mode = rules[field];
    if (mode === 'drop') continue;
    out[field] = mode === 'hash' ? hashValue(value, key) : value;
  }
  return out;
}

export function hashValue(value: unknown, key: RedactionKey): string {
  return `hmac-sha256:${createHmac('sha256', key.get())
    .update(canonicalJson(value ?? null))
    .digest('hex')}`;
}
