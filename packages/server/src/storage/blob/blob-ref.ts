import { PlumbError } from '../../core/errors.js';

const REF = /^sha256:([0-9a-f]{64})$/;
const HEX = /^(?:sha256:)?([0-9a-fA-F]{64})$/;

/**
 * Returns the hex digest of a blob ref. Only the exact form `sha256:<64 lowercase hex>` is
 * accepted: the digest becomes a file or object name, so anything looser could escape the store.
 */
export function parseBlobRef(ref: string): string {
  const match = typeof ref === 'string' ? REF.exec(ref) : null;
  if (!match) {
    throw new PlumbError(
      'invalid_argument',
      'a blob ref must be "sha256:" followed by 64 lowercase hex digits',
      {
        details: { ref: typeof ref === 'string' ? ref.slice(0, 100) : typeof ref },
      },
    );
  }
  return match[1]!;
}

/** Normalizes a caller-supplied digest (`<hex>` or `sha256:<hex>`, any case) to lowercase hex. */
export function parseSha256(value: string): string {
  const match = typeof value === 'string' ? HEX.exec(value) : null;
  if (!match) {
    throw new PlumbError(
      'invalid_argument',
      'expectedSha256 must be 64 hex digits, optionally prefixed by "sha256:"',
      {
        details: { expectedSha256: typeof value === 'string' ? value.slice(0, 100) : typeof value },
      },
    );
  }
  return match[1]!.toLowerCase();
}

export function blobRef(hex: string): string {
  return `sha256:${hex}`;
}
