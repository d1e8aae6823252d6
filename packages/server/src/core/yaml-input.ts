import { LineCounter, parseDocument } from 'yaml';
import { PlumbError } from './errors.js';

export type YamlPath = (string | number)[];

export interface YamlInput {
  data: unknown;
  /** The line of the deepest node on `path` that exists (a missing key points at its parent). */
  lineOf(path: YamlPath): number | null;
}

/** Above this a document is not something a person wrote. */
const MAX_CHARS = 1_000_000;

/**
 * Reads YAML that a user wrote (validation and evaluation suites, pipelines): duplicate keys
 * are errors, alias bombs are refused, and syntax errors name their line. Keeps the document
 * so that schema errors found later can be pointed at their line too.
 */
export function readYaml(text: string, what = 'the suite'): YamlInput {
  if (text.length > MAX_CHARS) {
    throw new PlumbError('invalid_argument', `${what} is larger than ${MAX_CHARS} characters`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map(
      (e) => `line ${lineCounter.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`,
    );
    throw new PlumbError('invalid_argument', `${what} is not valid YAML: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new PlumbError('invalid_argument', `${what} is not valid YAML: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    data,
    lineOf(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
        const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
        if (range) return lineCounter.linePos(range[0]).line;
      }
      return null;
    },
  };
}
