/**
 * Characters that a terminal acts on instead of showing: C0 controls (escape sequences, carriage
 * return, newline), DEL, C1 controls (U+0080–U+009F, some terminals take U+009B as CSI) and the
 * bidirectional formatting characters that reorder what follows them. Server data is written by
 * other people, so a run name must not clear the screen or forge a table row.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Shows each unsafe character as a `\u001b`-style escape; everything else is left alone. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The same for every string inside a JSON-like value, before a printer interpolates it. */
export function escapeDeep<T>(value: T): T {
  if (typeof value === 'string') return escapeControl(value) as T;
  if (Array.isArray(value)) return value.map(escapeDeep) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [escapeControl(k), escapeDeep(v)])) as T;
  }
  return value;
}

/** For documents shown whole (a model card, a suite's YAML): lines and tabs stay, the rest is escaped. */
export function escapeDocument(text: string): string {
  return text
    .split('\n')
    .map((line) => escapeControl(line).replaceAll('\\u0009', '\t'))
    .join('\n');
}
