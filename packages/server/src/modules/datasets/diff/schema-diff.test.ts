import { describe, expect, it } from 'vitest';
import { diffSchemas } from './schema-diff.js';

describe('diffSchemas', () => {
  it('reports added, removed and retyped columns in their versions’ order', () => {
    const a = [
      { name: 'date', type: 'DATE' },
      { name: 'wind', type: 'DOUBLE' },
      { name: 'count', type: 'BIGINT' },
      { name: 'note', type: 'VARCHAR' },
    ];
    const b = [
      { name: 'date', type: 'TIMESTAMP' },
      { name: 'gust', type: 'DOUBLE' },
      { name: 'count', type: 'DOUBLE' },
      { name: 'note', type: 'VARCHAR' },
      { name: 'Wind', type: 'DOUBLE' },
    ];
    expect(diffSchemas(a, b)).toEqual({
      added: [
        { name: 'gust', type: 'DOUBLE' },
        { name: 'Wind', type: 'DOUBLE' },
      ],
      removed: [{ name: 'wind', type: 'DOUBLE' }],
      retyped: [
        { name: 'date', from: 'DATE', to: 'TIMESTAMP' },
        { name: 'count', from: 'BIGINT', to: 'DOUBLE' },
      ],
    });
  });

  it('finds nothing between equal schemas, whatever their order', () => {
    const a = [
      { name: 'x', type: 'BIGINT' },
      { name: 'y', type: 'VARCHAR' },
    ];
    expect(diffSchemas(a, [...a].reverse())).toEqual({ added: [], removed: [], retyped: [] });
    expect(diffSchemas([], a)).toEqual({ added: a, removed: [], retyped: [] });
  });
});
