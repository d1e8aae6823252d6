// What counting distinct values exactly (columns of up to EXACT_DISTINCT_LIMIT values) adds to a
// profile: profileSource on flights-3m.parquet against the same stream fed to the sketches alone.
// Run after `npm run build`:
//   node bench/datasets/exact-distinct.mjs [runs=3]
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  EXACT_DISTINCT_LIMIT,
  profileSource,
} from '../../packages/server/dist/modules/datasets/dataset-profiler.js';
import { AnalyticsEngine, quoteIdent } from '../../packages/server/dist/storage/analytics/duckdb-engine.js';
import { ColumnProfile } from '../../packages/stats/dist/index.js';

const runs = Number(process.argv[2] ?? 3);
const flights = fileURLToPath(
  new URL('../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url),
);
const engine = await AnalyticsEngine.open({ allowedDirectories: [dirname(flights)], memoryLimit: '1GB' });
const source = { format: 'parquet', paths: [flights] };
const described = await engine.query(`DESCRIBE SELECT * FROM read_parquet(['${flights}'])`);
const schema = described.map((d) => ({ name: String(d.column_name), type: String(d.column_type) }));
const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;

/** The profile loop without the exact sets: the same SQL, every value into its ColumnProfile. */
async function sketchesOnly() {
  const numeric = /^(SMALLINT|INTEGER|BIGINT|FLOAT|DOUBLE|DECIMAL)/;
  const list = schema
    .map((c, i) => {
      const q = quoteIdent(c.name);
      if (/^(DATE|TIMESTAMP)/.test(c.type))
        return `CAST(epoch_ms(CAST(${q} AS TIMESTAMP)) AS DOUBLE) AS c${i}`;
      return `${numeric.test(c.type) ? `CAST(${q} AS DOUBLE)` : q} AS c${i}`;
    })
    .join(', ');
  const profiles = schema.map(() => new ColumnProfile());
  for await (const chunk of engine.stream(`SELECT ${list} FROM read_parquet(['${flights}'])`)) {
    profiles.forEach((p, i) => {
      for (const v of chunk.values[i]) p.update(v);
    });
  }
  return profiles;
}

const best = { sketches: Number.POSITIVE_INFINITY, exact: Number.POSITIVE_INFINITY };
let exactColumns = [];
for (let run = 0; run < runs; run++) {
  let start = process.hrtime.bigint();
  await sketchesOnly();
  best.sketches = Math.min(best.sketches, seconds(start));
  start = process.hrtime.bigint();
  const profiles = await profileSource(engine, source, schema);
  best.exact = Math.min(best.exact, seconds(start));
  exactColumns = [...profiles.exactDistinct].map(([name, n]) => `${name}=${n}`);
}
engine.close();
console.log(`node ${process.version}; flights-3m.parquet, ${schema.length} columns, best of ${runs}`);
console.log(
  `  sketches only:              ${best.sketches.toFixed(2)} s (${(3 / best.sketches).toFixed(2)} M rows/s)`,
);
console.log(
  `  with exact distinct counts: ${best.exact.toFixed(2)} s (${(3 / best.exact).toFixed(2)} M rows/s)`,
);
console.log(
  `  ratio ${(best.exact / best.sketches).toFixed(3)}; exact up to ${EXACT_DISTINCT_LIMIT}: ${exactColumns.join(', ')}`,
);
