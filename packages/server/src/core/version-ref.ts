import { PlumbError } from './errors.js';

/** What follows `@`: a version number (`3` and `v3` alike), `latest`, or an alias. */
export type VersionSelector =
  | { kind: 'number'; version: number }
  | { kind: 'latest' }
  | { kind: 'alias'; alias: string };

export type ParsedRef =
  | { kind: 'id'; id: string }
  | { kind: 'name'; name: string; selector: VersionSelector };

/** How one kind of resource is referred to: `weather@v3`, `weather-model@champion`, `dsv_…`. */
export interface RefGrammar {
  /** Said in errors: "dataset version". */
  noun: string;
  /** Prefix of the resource's ids: `dsv`. */
  idPrefix: string;
  /** Whether `name@<alias>` is allowed (models have aliases, datasets do not). */
  aliases: boolean;
  /** Whether a bare `name` means its latest version. */
  bareName: boolean;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;
const ALIAS = /^[a-z][a-z0-9_-]{0,62}$/;

/** The one parser of what people write for a version, for every resource that has versions. */
export function parseRef(ref: string, grammar: RefGrammar): ParsedRef {
  if (new RegExp(`^${grammar.idPrefix}_[0-9A-Z]{26}$`).test(ref)) return { kind: 'id', id: ref };
  const at = ref.indexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  if (!NAME.test(name) || (at < 0 && !grammar.bareName)) {
    const forms = [
      `name@vN`,
      'name@latest',
      ...(grammar.aliases ? ['name@<alias>'] : []),
      `${grammar.idPrefix}_…`,
    ];
    throw new PlumbError(
      'invalid_argument',
      `"${ref.slice(0, 120)}" is not a ${grammar.noun}; write ${forms.slice(0, -1).join(', ')} or ${forms.at(-1)}`,
    );
  }
  if (at < 0) return { kind: 'name', name, selector: { kind: 'latest' } };
  return { kind: 'name', name, selector: parseSelector(ref.slice(at + 1), grammar, ref) };
}

/** The part after `@`, or a path segment: `3`, `v3`, `latest`, or an alias where allowed. */
export function parseSelector(selector: string, grammar: RefGrammar, ref = selector): VersionSelector {
  const number = /^v?(\d+)$/.exec(selector);
  if (number) {
    const version = Number(number[1]);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new PlumbError('invalid_argument', `"${ref.slice(0, 120)}" names no version ${number[1]}`);
    }
    return { kind: 'number', version };
  }
  if (selector === 'latest') return { kind: 'latest' };
  if (grammar.aliases && ALIAS.test(selector)) return { kind: 'alias', alias: selector };
  throw new PlumbError(
    'invalid_argument',
    `"${ref.slice(0, 120)}": "${selector.slice(0, 64)}" is not ${grammar.aliases ? 'a version (vN, latest) or an alias' : 'a version (vN or latest)'}`,
  );
}

/** How a version is written back: always `name@vN`. */
export function formatRef(name: string, version: number): string {
  return `${name}@v${version}`;
}
