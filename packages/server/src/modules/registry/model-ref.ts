import {
  formatRef,
  type ParsedRef,
  parseRef,
  parseSelector as parseVersionSelector,
  type RefGrammar,
  type VersionSelector,
} from '../../core/version-ref.js';

export type { VersionSelector };
export type ParsedModelRef = ParsedRef;

const MODEL_REF: RefGrammar = { noun: 'model version', idPrefix: 'mv', aliases: true, bareName: false };

/** Parses what people write for a model version: `name@v3`, `name@3`, `name@latest`, `name@champion` or `mv_…`. */
export function parseModelRef(ref: string): ParsedModelRef {
  return parseRef(ref, MODEL_REF);
}

/** The part after `@` (or a path segment): `3`, `v3`, `latest` or an alias. */
export function parseSelector(selector: string, ref = selector): VersionSelector {
  return parseVersionSelector(selector, MODEL_REF, ref);
}

export function versionRef(model: string, version: number): string {
  return formatRef(model, version);
}
