import { type LabelQuestion, LabelSchema, type LabelValue } from '@plumb/sdk';
import type { Span } from '@plumb/stats';
import { PlumbError } from '../../core/errors.js';
import { readYaml } from '../../core/yaml-input.js';

/**
 * Reads a label schema a person wrote. Every problem is reported at once with its line, and
 * what zod cannot see (scale bounds, shortcuts, fields) is checked here.
 */
export function parseLabelSchema(yamlText: string): LabelSchema {
  const input = readYaml(yamlText, 'the label schema');
  const parsed = LabelSchema.safeParse(input.data ?? {});
  const problems: { path: (string | number)[]; message: string }[] = parsed.success
    ? crossChecks(parsed.data)
    : parsed.error.issues.map((i) => ({
        path: i.path.filter((p): p is string | number => typeof p !== 'symbol'),
        message: i.message,
      }));
  if (problems.length > 0 || !parsed.success) {
    const lines = problems.map((p) => {
      const line = input.lineOf(p.path);
      return `${p.path.join('.') || '(schema)'}: ${p.message}${line === null ? '' : ` (line ${line})`}`;
    });
    throw new PlumbError('invalid_argument', `the label schema is invalid: ${lines.join('; ')}`, {
      details: { problems: lines },
    });
  }
  return parsed.data;
}

function crossChecks(schema: LabelSchema) {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const names = new Set<string>();
  schema.questions.forEach((q, i) => {
    if (names.has(q.name))
      problems.push({ path: ['questions', i, 'name'], message: `${q.name} appears twice` });
    names.add(q.name);
    if (q.type === 'scale' && (q.max <= q.min || q.max - q.min > 1000)) {
      problems.push({
        path: ['questions', i, 'max'],
        message: 'a scale needs min < max, at most 1000 apart',
      });
    }
    if ((q.type === 'single_choice' || q.type === 'multiple_choice') && q.shortcuts) {
      const keys = Object.entries(q.shortcuts);
      for (const [choice] of keys) {
        if (!q.choices.includes(choice)) {
          problems.push({
            path: ['questions', i, 'shortcuts', choice],
            message: `${choice} is not a choice`,
          });
        }
      }
      if (new Set(keys.map(([, k]) => k)).size !== keys.length) {
        problems.push({ path: ['questions', i, 'shortcuts'], message: 'two choices share a key' });
      }
    }
  });
  return problems;
}

/**
 * Checks an answer against the schema and returns it in canonical form (multiple choices and
 * spans sorted, repeats dropped), so that equal answers are equal as JSON.
 */
export function checkLabel(
  schema: LabelSchema,
  value: LabelValue,
  data: Record<string, unknown>,
): LabelValue {
  const out: LabelValue = {};
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (!schema.questions.some((q) => q.name === key)) problems.push(`${key}: not a question of the schema`);
  }
  for (const q of schema.questions) {
    const v = value[q.name];
    const problem = checkAnswer(q, v, data);
    if (typeof problem === 'string') problems.push(`${q.name}: ${problem}`);
    else out[q.name] = problem.value;
  }
  if (problems.length > 0) {
    throw new PlumbError('invalid_argument', `the label does not fit the schema: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return out;
}

function checkAnswer(
  q: LabelQuestion,
  v: unknown,
  data: Record<string, unknown>,
): string | { value: unknown } {
  switch (q.type) {
    case 'single_choice':
      return typeof v === 'string' && q.choices.includes(v) ? { value: v } : `one of ${q.choices.join(', ')}`;
    case 'multiple_choice': {
      if (!Array.isArray(v) || v.some((c) => typeof c !== 'string' || !q.choices.includes(c))) {
        return `a list of choices among ${q.choices.join(', ')}`;
      }
      return {
        value: [...new Set(v as string[])].sort((a, b) => q.choices.indexOf(a) - q.choices.indexOf(b)),
      };
    }
    case 'scale':
      return typeof v === 'number' && Number.isInteger(v) && v >= q.min && v <= q.max
        ? { value: v }
        : `an integer from ${q.min} to ${q.max}`;
    case 'free_text':
      if (v === undefined) return { value: '' };
      return typeof v === 'string' && v.length <= q.maxLength
        ? { value: v }
        : `text of at most ${q.maxLength} characters`;
    case 'span': {
      const text = data[q.field];
      if (typeof text !== 'string') return `the item has no text field ${q.field}`;
      if (!Array.isArray(v)) return 'a list of { start, end, label }';
      const seen = new Map<string, Span>();
      for (const s of v as unknown[]) {
        const span = s as Partial<Span> | null;
        if (
          typeof span !== 'object' ||
          span === null ||
          !Number.isInteger(span.start) ||
          !Number.isInteger(span.end) ||
          typeof span.label !== 'string' ||
          !q.labels.includes(span.label)
        ) {
          return `each span is { start, end, label } with a label among ${q.labels.join(', ')}`;
        }
        if (span.start! < 0 || span.end! <= span.start! || span.end! > text.length) {
          return `span ${span.start}-${span.end} is not within the ${text.length} characters of ${q.field}`;
        }
        seen.set(`${span.start}:${span.end}:${span.label}`, {
          start: span.start!,
          end: span.end!,
          label: span.label,
        });
      }
      return {
        value: [...seen.values()].sort(
          (a, b) => a.start - b.start || a.end - b.end || (a.label < b.label ? -1 : 1),
        ),
      };
    }
  }
}

/** An answer as one comparable value: what nominal agreement and majorities compare. */
export function answerKey(q: LabelQuestion, v: unknown): string | number {
  if (q.type === 'scale') return v as number;
  if (q.type === 'single_choice' || q.type === 'free_text') return v as string;
  return JSON.stringify(v);
}

/** Whether a label matches a gold answer on every question compared (free text is not). */
export function matchesGold(schema: LabelSchema, value: LabelValue, gold: LabelValue): boolean {
  return schema.questions
    .filter((q) => q.type !== 'free_text')
    .every((q) => answerKey(q, value[q.name]) === answerKey(q, gold[q.name]));
}
