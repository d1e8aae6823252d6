import { PlumbError } from '../../core/errors.js';

export type VersionSelector =
  | { kind: 'number'; version: number }
  | { kind: 'latest' }
  | { kind: 'alias'; alias: string };

export type ParsedModelRef =
  | { kind: 'id'; id: string }
  | { kind: 'name'; name: string; selector: VersionSelector };

const ALIAS = /^[a-z][a-z0-9_-]{0,62}$/;

/** Parses what people write for a model version: `name@v3`, `name@3`, `name@latest`, `name@champion` or `mv_…`. */
export function parseModelRef(ref: string): ParsedModelRef {
  if (/^mv_[0-9A-Z]{26}$/.test(ref)) return { kind: 'id', id: ref };
  const match = /^([a-z0-9][a-z0-9._-]{0,99})@(.+)$/.exec(ref);
  if (!match) {
    throw new PlumbError(
      'invalid_argument',
      `"${ref.slice(0, 120)}" is not a model version; write name@vN, name@<alias> or mv_…`,
    );
  }
  return { kind: 'name', name: match[1]!, selector: parseSelector(match[2]!, ref) };
}

/** The part after `@` (or a path segment): `3`, `v3`, `latest` or an alias. */
export function parseSelector(selector: string, ref = selector): VersionSelector {
  const number = /^v?(\d+)$/.exec(selector);
  if (number) {
    const version = Number(number[1]);
    if (!Number.isSafeInteger(version) || version < 1)
      throw new PlumbError('invalid_argument', `"${ref}" names no version ${number[1]}`);
    return { kind: 'number', version };
  }
  if (selector === 'latest') return { kind: 'latest' };
  if (ALIAS.test(selector)) return { kind: 'alias', alias: selector };
  throw new PlumbError(
    'invalid_argument',
    `"${ref.slice(0, 120)}": "${selector.slice(0, 64)}" is neither a version (vN, latest) nor an alias`,
  );
}

export function versionRef(model: string, version: number): string {
  return `${model}@v${version}`;
}
