import { describe, expect, it } from 'vitest';
import { parseVersionRef } from '../modules/datasets/dataset-ref.js';
import { parseModelRef } from '../modules/registry/model-ref.js';
import { formatRef, parseRef } from './version-ref.js';

describe('version references', () => {
  it('read 3 and v3 as the same version for datasets and models alike', () => {
    expect(parseVersionRef('weather@3')).toEqual(parseVersionRef('weather@v3'));
    expect(parseModelRef('weather-model@3')).toEqual(parseModelRef('weather-model@v3'));
    expect(parseVersionRef('weather@3').selector).toEqual({ kind: 'number', version: 3 });
    expect(parseModelRef('weather-model@3')).toEqual({
      kind: 'name',
      name: 'weather-model',
      selector: { kind: 'number', version: 3 },
    });
  });

  it('take aliases only where the resource has them', () => {
    expect(parseModelRef('m@champion')).toEqual({
      kind: 'name',
      name: 'm',
      selector: { kind: 'alias', alias: 'champion' },
    });
    expect(() => parseVersionRef('weather@champion')).toThrow(/not a version \(vN or latest\)/);
  });

  it('let a bare name mean latest only for datasets', () => {
    expect(parseVersionRef('weather').selector).toEqual({ kind: 'latest' });
    expect(() => parseModelRef('weather-model')).toThrow(/is not a model version; write name@vN/);
  });

  it('recognise ids by their prefix and refuse other shapes with the forms to use', () => {
    expect(parseVersionRef('dsv_01HZX3K4M5N6P7Q8R9S0T1V2W3')).toEqual({
      name: null,
      selector: { kind: 'id', id: 'dsv_01HZX3K4M5N6P7Q8R9S0T1V2W3' },
    });
    expect(parseModelRef('mv_01HZX3K4M5N6P7Q8R9S0T1V2W3').kind).toBe('id');
    expect(() => parseVersionRef('Weather@v1')).toThrow(
      /dataset version; write name@vN, name@latest or dsv_…/,
    );
    expect(() => parseVersionRef('weather@v0')).toThrow(/names no version 0/);
    expect(() =>
      parseRef('x@v1', { noun: 'thing', idPrefix: 'th', aliases: false, bareName: false }),
    ).not.toThrow();
  });

  it('write versions back one way', () => {
    expect(formatRef('weather', 3)).toBe('weather@v3');
  });
});
