import { describe, expect, it } from 'vitest';
import { formatTable } from './cli-context.js';
import { formatTime } from './format-time.js';
import { escapeControl, escapeDeep, escapeDocument } from './safe-text.js';

describe('text for terminals', () => {
  it('escapes C0, DEL, C1 and bidirectional controls, and nothing a person should read', () => {
    expect(escapeControl('a\u0000b\u001b[2Jc\r\nd\u007fe\u0085f\u009bg')).toBe(
      'a\\u0000b\\u001b[2Jc\\u000d\\u000ad\\u007fe\\u0085f\\u009bg',
    );
    expect(escapeControl('\u202aa\u202eb\u2066c\u2069d\u200ee\u200ff\u061c')).toBe(
      '\\u202aa\\u202eb\\u2066c\\u2069d\\u200ee\\u200ff\\u061c',
    );
    const readable = 'température → 東京 😀 "quoted" \\ tab-less';
    expect(escapeControl(readable)).toBe(readable);
  });

  it('escapes every string and key inside a value, leaving numbers and structure', () => {
    expect(escapeDeep({ 'k\n': ['v\u001b', 1, null, { x: true }] })).toEqual({
      'k\\u000a': ['v\\u001b', 1, null, { x: true }],
    });
  });

  it('keeps the lines and tabs of a document, escapes the rest', () => {
    expect(escapeDocument('# Card\n\tindented\r\n\u001b[31mred\n')).toBe(
      '# Card\n\tindented\\u000d\n\\u001b[31mred\n',
    );
  });

  it('shows times one way and dates as dates', () => {
    expect(formatTime('2001-01-01T00:01:00.000Z')).toBe('2001-01-01 00:01Z');
    expect(formatTime(Date.UTC(2001, 6, 1))).toBe('2001-07-01 00:00Z');
    expect(formatTime(Date.UTC(2001, 6, 1), 'date')).toBe('2001-07-01');
    expect(formatTime('not a time')).toBe('not a time');
  });

  it('formats table cells: times, dates, objects, nothing, control characters', () => {
    const table = formatTable(
      [
        { at: '2001-01-01T00:01:00.000Z', day: '2001-07-01', tags: { a: 1 }, name: 'x\ty' },
        { at: null, day: undefined, tags: [], name: 'z' },
      ],
      ['at', 'day', 'tags', 'name'],
    );
    expect(table).toBe(
      [
        'AT                 DAY         TAGS     NAME',
        '2001-01-01 00:01Z  2001-07-01  {"a":1}  x\\u0009y',
        '-                  -           []       z',
        '',
      ].join('\n'),
    );
  });
});
