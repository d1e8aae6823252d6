import { describe, expect, it } from 'vitest';
import { PlumbError } from '../../../core/errors.js';
import { formatDuration, parseDuration } from './duration.js';
import { parseSuite } from './validation-suite.js';

const FULL = `
name: weather-quality
reference: weather@v1
expectations:
  - { expect: present, column: temp_max }
  - { expect: type, column: temp_max, type: number }
  - { expect: not_null, column: weather }
  - { expect: max_null_fraction, column: wind, value: 0.01 }
  - { expect: unique, column: date }
  - { expect: unique, columns: [date, weather] }
  - { expect: between, column: temp_max, min: -20, max: 45 }
  - { expect: between, column: date, min: '2012-01-01' }
  - { expect: in_set, column: weather, values: [drizzle, rain, sun, snow, fog] }
  - { expect: matches, column: weather, pattern: '^[a-z]+$' }
  - { expect: length, column: weather, min: 3, max: 7 }
  - { expect: row_count, min: 1000, max: 5000 }
  - { expect: freshness, column: date, max_age: 400d }
  - { expect: freshness, max_age: 36h }
  - { expect: drift, column: temp_max, test: psi, max: 0.2 }
`;

function problem(yaml: string): string {
  try {
    parseSuite(yaml);
  } catch (error) {
    expect(PlumbError.is(error, 'invalid_argument')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected the suite to be rejected');
}

describe('parseSuite', () => {
  it('accepts every expectation kind of the format', () => {
    const suite = parseSuite(FULL);
    expect(suite.name).toBe('weather-quality');
    expect(suite.reference).toBe('weather@v1');
    expect(suite.expectations.map((e) => e.expect)).toEqual([
      'present',
      'type',
      'not_null',
      'max_null_fraction',
      'unique',
      'unique',
      'between',
      'between',
      'in_set',
      'matches',
      'length',
      'row_count',
      'freshness',
      'freshness',
      'drift',
    ]);
    expect(suite.expectations[6]).toEqual({ expect: 'between', column: 'temp_max', min: -20, max: 45 });
    expect(suite.expectations[5]).toEqual({ expect: 'unique', columns: ['date', 'weather'] });
  });

  it('names the line of a YAML syntax error', () => {
    const message = problem(
      'name: x\nexpectations:\n  - { expect: present, column: a\n  - {expect: not_null}\n',
    );
    expect(message).toMatch(/not valid YAML/);
    expect(message).toMatch(/line \d/);
  });

  it('rejects a duplicated key as a YAML error', () => {
    expect(problem('name: a\nname: b\nexpectations: [{expect: row_count, min: 1}]\n')).toMatch(
      /line 2.*unique/i,
    );
  });

  it('rejects an unknown expect kind, naming the index, the kinds and the line', () => {
    const message = problem(
      'name: x\nexpectations:\n  - { expect: present, column: a }\n  - { expect: no_nulls, column: a }\n',
    );
    expect(message).toContain("expectations[1].expect: unknown expect 'no_nulls'");
    expect(message).toContain('not_null');
    expect(message).toContain('(line 4)');
  });

  it('rejects unknown keys, naming the key and the kind', () => {
    const message = problem('name: x\nexpectations:\n  - expect: not_null\n    column: a\n    colum: b\n');
    expect(message).toContain("expectations[0]: unknown key 'colum' for expect 'not_null' (line 5)");
    expect(problem('name: x\nowner: me\nexpectations: [{expect: row_count, min: 1}]\n')).toContain(
      "unknown key 'owner'",
    );
  });

  it('names the field of a wrong value', () => {
    expect(
      problem('name: x\nexpectations:\n  - { expect: max_null_fraction, column: a, value: 1.5 }\n'),
    ).toMatch(/expectations\[0\]\.value: .*(<=|1).*\(line 3\)/);
    expect(problem('name: x\nexpectations:\n  - { expect: between, column: a }\n')).toContain(
      'expectations[0].min: give min, max or both',
    );
    expect(problem('name: x\nexpectations:\n  - { expect: between, column: a, min: 5, max: 1 }\n')).toContain(
      'expectations[0].max: max (1) is below min (5)',
    );
    expect(problem('name: x\nexpectations:\n  - { expect: unique }\n')).toContain(
      'give either column or columns',
    );
    expect(problem('name: x\nexpectations:\n  - { expect: unique, column: a, columns: [b] }\n')).toContain(
      'give either column or columns',
    );
    expect(problem('name: x\nexpectations:\n  - { expect: freshness, max_age: soon }\n')).toContain(
      'expectations[0].max_age: must be a duration',
    );
    expect(
      problem('name: x\nexpectations:\n  - { expect: drift, column: a, test: chi2, max: 1 }\n'),
    ).toContain('expectations[0].test');
    expect(problem('name: x\nexpectations:\n  - { expect: length, column: a, min: 1.5 }\n')).toContain(
      'expectations[0].min',
    );
    expect(problem('name: x\nexpectations:\n  - { expect: in_set, column: a, values: [] }\n')).toContain(
      'must list at least one value',
    );
    expect(problem('name: x\nreference: weather\nexpectations: [{expect: row_count, min: 1}]\n')).toContain(
      'reference',
    );
  });

  it('requires a name and at least one expectation, and reports every problem at once', () => {
    const message = problem('expectations: []\n');
    expect(message).toContain('name:');
    expect(message).toContain('must list at least one expectation');
    expect(problem('')).toContain('name:');
    expect(problem('- a\n- b\n')).toContain('suite: ');
  });

  it('refuses alias bombs', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n');
    expect(problem(bomb)).toMatch(/not valid YAML|alias/i);
  });
});

describe('durations', () => {
  it('parses the units of max_age', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('36h')).toBe(36 * 3_600_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1.5d')).toBe(1.5 * 86_400_000);
    expect(parseDuration('7 days')).toBeNull();
  });

  it('formats ages with two units', () => {
    expect(formatDuration(90_061_000)).toBe('1d 1h');
    expect(formatDuration(86_400_000 + 5 * 60_000)).toBe('1d 0h');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(-3_600_000)).toBe('-1h 0m');
  });
});
