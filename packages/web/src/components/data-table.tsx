import { type ReactNode, useMemo, useState } from 'react';

export interface Column<T> {
  key: string;
  label: string;
  render(row: T): ReactNode;
  /** The value sorted by; a column without one is not sortable. */
  sort?(row: T): string | number | null;
  align?: 'right';
  /** Kept on one line: names and refs such as `flights-delay@v2` would otherwise break at a hyphen. */
  nowrap?: boolean;
}

function cellClass(c: { align?: 'right'; nowrap?: boolean }): string | undefined {
  return [c.align === 'right' ? 'num' : '', c.nowrap ? 'nowrap' : ''].filter(Boolean).join(' ') || undefined;
}

/** A table whose sortable columns sort on a header click (again to reverse). */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  initialSort,
  testId,
}: {
  columns: Column<T>[];
  rows: T[];
  rowKey(row: T): string;
  initialSort?: { key: string; desc?: boolean };
  testId?: string;
}) {
  const [sort, setSort] = useState(initialSort ?? null);
  const sorted = useMemo(() => {
    const column = sort ? columns.find((c) => c.key === sort.key) : undefined;
    if (!sort || !column?.sort) return rows;
    const by = column.sort;
    const factor = sort.desc ? -1 : 1;
    return [...rows].sort((a, b) => {
      const x = by(a);
      const y = by(b);
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * factor;
    });
  }, [rows, columns, sort]);
  return (
    <div className="table-wrap">
      <table className="table" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} className={c.align === 'right' ? 'num' : undefined}>
                {c.sort ? (
                  <button
                    type="button"
                    className="sort"
                    onClick={() =>
                      setSort((s) => (s?.key === c.key ? { key: c.key, desc: !s.desc } : { key: c.key }))
                    }
                  >
                    {c.label}
                    <span className="sort-mark">{sort?.key === c.key ? (sort.desc ? '▼' : '▲') : ''}</span>
                  </button>
                ) : (
                  c.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c) => (
                <td key={c.key} className={cellClass(c)}>
                  {c.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
