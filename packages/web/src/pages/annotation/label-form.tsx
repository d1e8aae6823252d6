import type { LabelQuestion, LabelSchema, LabelValue } from '@plumb/sdk';
import { useRef } from 'react';

type Span = { start: number; end: number; label: string };

/** What each key picks: a choice of a question, or a value on a scale. */
export interface KeyBinding {
  question: string;
  value: string | number;
}

/**
 * Keys for choices: a question's own `shortcuts`, and for the first choice or scale question
 * without any, the digits 1 to 9 in order.
 */
export function keyBindings(schema: LabelSchema): Map<string, KeyBinding> {
  const keys = new Map<string, KeyBinding>();
  for (const q of schema.questions) {
    if ((q.type === 'single_choice' || q.type === 'multiple_choice') && q.shortcuts) {
      for (const [choice, key] of Object.entries(q.shortcuts))
        keys.set(key.toLowerCase(), { question: q.name, value: choice });
    }
  }
  const first = schema.questions.find(
    (q) =>
      (q.type === 'single_choice' || q.type === 'multiple_choice' || q.type === 'scale') &&
      !('shortcuts' in q && q.shortcuts),
  );
  if (first?.type === 'scale') {
    for (let v = first.min; v <= first.max && v - first.min < 9; v++) {
      const key = String(v - first.min + 1);
      if (!keys.has(key)) keys.set(key, { question: first.name, value: v });
    }
  } else if (first && first.type !== 'free_text' && first.type !== 'span') {
    first.choices.slice(0, 9).forEach((choice, i) => {
      if (!keys.has(String(i + 1))) keys.set(String(i + 1), { question: first.name, value: choice });
    });
  }
  return keys;
}

export function emptyAnswer(schema: LabelSchema): LabelValue {
  return Object.fromEntries(
    schema.questions.map((q) => [
      q.name,
      q.type === 'multiple_choice' || q.type === 'span' ? [] : q.type === 'free_text' ? '' : undefined,
    ]),
  );
}

/** Applies a key's binding: a single choice or scale value is set, a multiple choice toggled. */
export function applyBinding(schema: LabelSchema, answer: LabelValue, b: KeyBinding): LabelValue {
  const q = schema.questions.find((x) => x.name === b.question);
  if (q?.type === 'multiple_choice') {
    const current = (answer[q.name] as string[]) ?? [];
    const value = b.value as string;
    return {
      ...answer,
      [q.name]: current.includes(value) ? current.filter((c) => c !== value) : [...current, value],
    };
  }
  return { ...answer, [b.question]: b.value };
}

export function isComplete(schema: LabelSchema, answer: LabelValue): boolean {
  return schema.questions.every(
    (q) =>
      q.type === 'free_text' ||
      q.type === 'multiple_choice' ||
      q.type === 'span' ||
      answer[q.name] !== undefined,
  );
}

function keyOf(keys: Map<string, KeyBinding>, question: string, value: string | number): string | undefined {
  for (const [key, b] of keys) if (b.question === question && b.value === value) return key;
  return undefined;
}

export function LabelForm({
  schema,
  data,
  answer,
  keys,
  onChange,
}: {
  schema: LabelSchema;
  data: Record<string, unknown>;
  answer: LabelValue;
  keys: Map<string, KeyBinding>;
  onChange(next: LabelValue): void;
}) {
  return (
    <div className="annotation-form">
      {schema.questions.map((q) => (
        <fieldset key={q.name} className="annotation-field" data-testid={`question-${q.name}`}>
          <legend>{q.prompt ?? q.name}</legend>
          <Question
            q={q}
            data={data}
            value={answer[q.name]}
            keys={keys}
            onChange={(v) => onChange({ ...answer, [q.name]: v })}
          />
        </fieldset>
      ))}
    </div>
  );
}

function Question({
  q,
  data,
  value,
  keys,
  onChange,
}: {
  q: LabelQuestion;
  data: Record<string, unknown>;
  value: unknown;
  keys: Map<string, KeyBinding>;
  onChange(value: unknown): void;
}) {
  switch (q.type) {
    case 'single_choice':
    case 'multiple_choice': {
      const picked = q.type === 'single_choice' ? [value] : ((value as string[]) ?? []);
      return (
        <div className="annotation-choices">
          {q.choices.map((c) => {
            const key = keyOf(keys, q.name, c);
            const on = picked.includes(c);
            return (
              <button
                key={c}
                type="button"
                className={`button${on ? ' primary' : ''}`}
                aria-pressed={on}
                onClick={() =>
                  onChange(
                    q.type === 'single_choice'
                      ? c
                      : on
                        ? picked.filter((x) => x !== c)
                        : [...(picked as string[]), c],
                  )
                }
              >
                {c}
                {key ? <kbd>{key}</kbd> : null}
              </button>
            );
          })}
        </div>
      );
    }
    case 'scale': {
      const values = Array.from({ length: q.max - q.min + 1 }, (_, i) => q.min + i);
      return (
        <div className="annotation-choices">
          {values.map((v) => {
            const key = keyOf(keys, q.name, v);
            return (
              <button
                key={v}
                type="button"
                className={`button${value === v ? ' primary' : ''}`}
                aria-pressed={value === v}
                onClick={() => onChange(v)}
              >
                {v}
                {key ? <kbd>{key}</kbd> : null}
              </button>
            );
          })}
        </div>
      );
    }
    case 'free_text':
      return (
        <textarea
          aria-label={q.name}
          maxLength={q.maxLength}
          value={(value as string) ?? ''}
          onChange={(e) => onChange(e.target.value)}
        />
      );
    case 'span':
      return (
        <SpanQuestion
          text={String(data[q.field] ?? '')}
          labels={q.labels}
          spans={(value as Span[]) ?? []}
          onChange={onChange}
        />
      );
  }
}

/** Select characters of the text, then press the label they carry. */
function SpanQuestion({
  text,
  labels,
  spans,
  onChange,
}: {
  text: string;
  labels: string[];
  spans: Span[];
  onChange(spans: Span[]): void;
}) {
  const field = useRef<HTMLDivElement>(null);
  const mark = (label: string) => {
    const selection = window.getSelection();
    const el = field.current;
    if (!selection || selection.rangeCount === 0 || !el) return;
    const range = selection.getRangeAt(0);
    if (!el.contains(range.startContainer) || !el.contains(range.endContainer)) return;
    const before = document.createRange();
    before.selectNodeContents(el);
    before.setEnd(range.startContainer, range.startOffset);
    const start = before.toString().length;
    const end = start + range.toString().length;
    if (end > start) onChange([...spans, { start, end, label }]);
    selection.removeAllRanges();
  };
  return (
    <div>
      <div ref={field} className="annotation-span-text">
        {text}
      </div>
      <div className="annotation-choices">
        {labels.map((l) => (
          <button
            key={l}
            type="button"
            className="button"
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => mark(l)}
          >
            Mark {l}
          </button>
        ))}
      </div>
      <ul className="annotation-spans">
        {spans.map((s, i) => (
          <li key={`${s.start}:${s.end}:${s.label}`}>
            <strong>{s.label}</strong> “{text.slice(s.start, s.end)}”{' '}
            <button
              type="button"
              className="button ghost"
              onClick={() => onChange(spans.filter((_, j) => j !== i))}
            >
              remove
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
