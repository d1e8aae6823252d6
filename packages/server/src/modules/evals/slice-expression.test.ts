import { describe, expect, it } from 'vitest';
import { checkConditionType, formatCondition, matchesCondition, parseWhere } from './slice-expression.js';

describe('parseWhere', () => {
  it('reads every operator with numbers, quoted and bare text, booleans and lists', () => {
    expect(parseWhere('temp_max > 20')).toEqual({ column: 'temp_max', op: '>', value: 20 });
    expect(parseWhere('temp_min<=-2.5')).toEqual({ column: 'temp_min', op: '<=', value: -2.5 });
    expect(parseWhere('wind >= 1e1')).toEqual({ column: 'wind', op: '>=', value: 10 });
    expect(parseWhere('x < .5')).toEqual({ column: 'x', op: '<', value: 0.5 });
    expect(parseWhere("weather = 'rain'")).toEqual({ column: 'weather', op: '=', value: 'rain' });
    expect(parseWhere('weather != sun')).toEqual({ column: 'weather', op: '!=', value: 'sun' });
    expect(parseWhere("name = 'O''Brien'")).toEqual({ column: 'name', op: '=', value: "O'Brien" });
    expect(parseWhere('"odd col"" name" = TRUE')).toEqual({ column: 'odd col" name', op: '=', value: true });
    expect(parseWhere("date >= '2015-06-01'")).toEqual({ column: 'date', op: '>=', value: '2015-06-01' });
    expect(parseWhere("weather in ('rain', drizzle, 'snow')")).toEqual({
      column: 'weather',
      op: 'in',
      value: ['rain', 'drizzle', 'snow'],
    });
    expect(parseWhere('hour IN [6, 7, 8]')).toEqual({ column: 'hour', op: 'in', value: [6, 7, 8] });
    expect(parseWhere('model = v2.1-beta')).toEqual({ column: 'model', op: '=', value: 'v2.1-beta' });
  });

  it('refuses anything but one comparison, so SQL can never ride along', () => {
    const attempts = [
      "weather = 'rain' OR 1=1",
      "weather = 'rain'; DROP TABLE eval_runs; --",
      "weather = 'rain' --",
      'temp_max > 20 AND temp_min < 0',
      "weather = 'rain' UNION SELECT * FROM read_csv('/etc/passwd')",
      "weather = 'rain''",
      "weather = rain' OR '1'='1",
      'temp_max > (SELECT 1)',
      'read_csv(x) = 1',
      '1 = 1',
      "weather in ('rain') OR 1=1",
      'weather == rain',
      'weather <> rain',
      'weather = null',
      'weather =',
      '= rain',
      'weather in ()',
      'weather in (a b)',
      `x = ${'9'.repeat(400)}`,
      'x'.repeat(1001),
      'temp_max > 20abc',
      'temp_max > 20/*comment*/',
    ];
    for (const where of attempts) {
      expect(() => parseWhere(where), where).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
  });

  it('says what is wrong', () => {
    expect(() => parseWhere("weather = 'rain' OR 1=1")).toThrow(
      /unexpected "OR" after the comparison; a slice is one comparison/,
    );
    expect(() => parseWhere('weather <> rain')).toThrow(/write != for "not equal"/);
    expect(() => parseWhere("weather = 'rain")).toThrow(/not closed/);
    expect(() => parseWhere('weather ~ rain')).toThrow(/unexpected character "~"/);
  });

  it('formats a condition back, quoting what needs it', () => {
    expect(formatCondition(parseWhere("weather in (rain, 'it''s')"))).toBe("weather in ('rain', 'it''s')");
    expect(formatCondition(parseWhere('"a b" >= 2'))).toBe('"a b" >= 2');
  });
});

describe('matchesCondition', () => {
  it('compares like SQL, and a null cell is in no slice', () => {
    expect(matchesCondition(parseWhere('t > 20'), 20.5)).toBe(true);
    expect(matchesCondition(parseWhere('t > 20'), 20)).toBe(false);
    expect(matchesCondition(parseWhere('t >= 20'), 20)).toBe(true);
    expect(matchesCondition(parseWhere('t != 20'), null)).toBe(false);
    expect(matchesCondition(parseWhere("d < '2015-01-01'"), '2014-12-31')).toBe(true);
    expect(matchesCondition(parseWhere('w in (rain, snow)'), 'snow')).toBe(true);
    expect(matchesCondition(parseWhere('w in (rain, snow)'), 'sun')).toBe(false);
    expect(matchesCondition(parseWhere('flag = true'), true)).toBe(true);
  });
});

describe('checkConditionType', () => {
  it('refuses text against numbers, numbers against text, and orders on booleans', () => {
    expect(() => checkConditionType('warm', parseWhere('temp_max > warm'), 'DOUBLE')).toThrow(
      'slice warm: column temp_max is DOUBLE but "warm" is a string',
    );
    expect(() => checkConditionType('d', parseWhere('date >= 2015'), 'DATE')).toThrow(/quote text values/);
    expect(() => checkConditionType('f', parseWhere('flag > true'), 'BOOLEAN')).toThrow(
      /compare it with = or !=/,
    );
    expect(() => checkConditionType('ok', parseWhere('n in (1, 2)'), 'BIGINT')).not.toThrow();
    expect(() => checkConditionType('ok', parseWhere("w = 'rain'"), 'VARCHAR')).not.toThrow();
  });
});
