import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';

/** The previous hash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

export interface HashedFields {
  seq: number;
  time: string;
  actor: string;
  projectId: string | null;
  action: string;
  resource: string;
  digest: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** sha256 over the previous hash and the canonical JSON of the record's own fields. */
export function recordHash(prevHash: string, fields: HashedFields): string {
  return sha256Hex(`${prevHash}\n${canonicalJson(fields)}`);
}
