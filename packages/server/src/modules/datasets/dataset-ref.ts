import { PlumbError } from '../../core/errors.js';

export type VersionSelector =
  | { kind: 'number'; version: number }
  | { kind: 'latest' }
  | { kind: 'id'; id: string };

export interface ParsedRef {
  name: string | null;
  selector: VersionSelector;
}

/**
 * Parses what people write for a dataset version: `name@v3`, `name@3`, `name@latest`, a bare
 * `name` (the latest version), or an id `dsv_…`.
 */
export function parseVersionRef(ref: string): ParsedRef {
  if (/^dsv_[0-9A-Z]{26}$/.test(ref)) return { name: null, selector: { kind: 'id', id: ref } };
  const match = /^([a-z0-9][a-z0-9._-]*)(?:@(?:v?(\d+)|(latest)))?$/.exec(ref);
  if (!match) {
    throw new PlumbError(
      'invalid_argument',
      `"${ref}" is not a dataset version; write name@vN, name@latest or dsv_…`,
    );
  }
  const [, name, number] = match;
  if (number !== undefined) {
    const version = Number(number);
    if (!Number.isSafeInteger(version) || version < 1)
      throw new PlumbError('invalid_argument', `"${ref}" has no version ${number}`);
    return { name: name!, selector: { kind: 'number', version } };
  }
  return { name: name!, selector: { kind: 'latest' } };
}

/** The path parameter form: `3`, `v3` or `latest`. */
export function parseVersionParam(name: string, v: string): ParsedRef {
  return parseVersionRef(`${name}@${v}`);
}
