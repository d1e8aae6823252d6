import { parseRef, type RefGrammar } from '../../core/version-ref.js';

export type VersionSelector =
  | { kind: 'number'; version: number }
  | { kind: 'latest' }
  | { kind: 'id'; id: string };

export interface ParsedRef {
  name: string | null;
  selector: VersionSelector;
}

const DATASET_REF: RefGrammar = { noun: 'dataset version', idPrefix: 'dsv', aliases: false, bareName: true };

/**
 * Parses what people write for a dataset version: `name@v3`, `name@3`, `name@latest`, a bare
 * `name` (the latest version), or an id `dsv_…`.
 */
export function parseVersionRef(ref: string): ParsedRef {
  const parsed = parseRef(ref, DATASET_REF);
  if (parsed.kind === 'id') return { name: null, selector: parsed };
  // Datasets have no aliases, so the selector is a number or latest.
  return { name: parsed.name, selector: parsed.selector as VersionSelector };
}

/** The path parameter form: `3`, `v3` or `latest`. */
export function parseVersionParam(name: string, v: string): ParsedRef {
  return parseVersionRef(`${name}@${v}`);
}
