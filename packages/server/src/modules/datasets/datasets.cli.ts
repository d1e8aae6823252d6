import { readFile } from 'node:fs/promises';
import type { DatasetDiff, DatasetVersion, Lineage, ValidationReport } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, formatTable, output, print, showsProgress } from '../../cli/cli-context.js';
import { formatTime } from '../../cli/format-time.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { createProgress, formatBytes } from '../../cli/progress.js';
import { PlumbError } from '../../core/errors.js';
import { collectFiles, downloadFiles, uploadFile } from './dataset-files.js';
import { describeProfile, formatDistinct, waitForProfile } from './dataset-profile-wait.js';

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerDatasetCommands(program: Command): void {
  const dataset = program
    .command('dataset')
    .description('versioned datasets: files, schema, profile, lineage');

  dataset
    .command('add <name> <paths...>')
    .description('add a version from CSV, JSONL or Parquet files or folders of them')
    .option('-m, --message <text>', 'what changed', '')
    .option('--parent <ref>', 'a version this one derives from (repeatable)', collect, [])
    .option('--tag <key=value>', 'a tag (repeatable)', collect, [])
    .option('--time-column <column>', 'the column holding event times (for freshness checks)')
    .option('--slice-column <column>', 'count rows per value of this column (coverage of task categories)')
    .option('--description <text>', "the dataset's description, when this creates it")
    .option('--wait', 'wait until a large version is profiled, showing the progress on a terminal')
    .action(
      action(
        async (
          name: string,
          paths: string[],
          opts: Record<string, string | string[] | boolean | undefined>,
          command: Command,
        ) => {
          const client = clientFromEnv();
          const files = await collectFiles(paths);
          const total = files.reduce((n, f) => n + f.size, 0);
          const bar = createProgress({
            tty: showsProgress(command),
            label: `uploading ${files.length} file${files.length === 1 ? '' : 's'}`,
            unit: 'bytes',
          });
          let before = 0;
          const refs = [];
          for (const file of files) {
            const { ref } = await uploadFile(client, file, (n) => bar.update(before + n, total));
            before += file.size;
            refs.push({ path: file.path, ref });
          }
          bar.finish(showsProgress(command) ? 'checking every row and profiling on the server…' : undefined);
          const tags = Object.fromEntries(
            (opts.tag as string[]).map((t) => {
              const eq = t.indexOf('=');
              if (eq < 1) throw new PlumbError('invalid_argument', `--tag ${t}: expected key=value`);
              return [t.slice(0, eq), t.slice(eq + 1)];
            }),
          );
          const result = await client.datasets.addVersion(name, {
            files: refs,
            message: String(opts.message ?? ''),
            parents: opts.parent as string[],
            tags,
            ...(opts.timeColumn ? { timeColumn: String(opts.timeColumn) } : {}),
            ...(opts.sliceColumn ? { sliceColumn: String(opts.sliceColumn) } : {}),
            ...(opts.description ? { description: String(opts.description) } : {}),
          });
          if (opts.wait) {
            const fetch = (ref: string) => client.datasets.get(ref);
            result.version = await waitForProfile(fetch, result.version, { tty: showsProgress(command) });
          }
          print(command, result, ({ created, version: v }) =>
            created
              ? `added ${v.ref}: ${v.rowCount} rows, ${v.schema.length} columns, ${formatBytes(v.byteSize)} (${profileNote(v)})\n`
              : `unchanged: the same content is already ${v.ref}\n`,
          );
        },
      ),
    );

  pagingOptions(dataset.command('list').description("list the project's datasets"), 'datasets').action(
    action(async (opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.datasets.list(q), opts);
      output(command, items, {
        rows: items,
        columns: ['name', 'latestVersion', 'versionCount', 'description', 'createdAt'],
      });
    }),
  );

  pagingOptions(
    dataset.command('versions <name>').description("a dataset's versions, newest first"),
    'versions',
  ).action(
    action(async (name: string, opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.datasets.versions(name, q), opts);
      output(command, items, {
        rows: items.map((v) => ({ ...v, validation: v.validationStatus, profile: v.profileStatus })),
        columns: ['ref', 'rowCount', 'format', 'profile', 'validation', 'message', 'createdAt'],
      });
    }),
  );

  dataset
    .command('show <ref>')
    .description('one version: files, schema, profile, lineage parents (name, name@vN or name@latest)')
    .action(
      action(async (ref: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().datasets.get(ref), describeVersion);
      }),
    );

  dataset
    .command('get <ref>')
    .description("download a version's files, checking every file's hash")
    .requiredOption('-o, --out <dir>', 'folder to write the files into')
    .action(
      action(async (ref: string, opts: { out: string }, command: Command) => {
        const client = clientFromEnv();
        const v = await client.datasets.get(ref);
        const bar = createProgress({
          tty: showsProgress(command),
          label: `downloading ${v.ref}`,
          unit: 'bytes',
        });
        await downloadFiles(client, v.files, opts.out, (n) => bar.update(n, v.byteSize));
        bar.finish();
        print(
          command,
          { version: v.ref, out: opts.out, files: v.files },
          (r) => `wrote ${r.files.length} file(s) of ${r.version} to ${r.out}, hashes verified\n`,
        );
      }),
    );

  dataset
    .command('rows <ref>')
    .description("print a page of a version's rows")
    .option('--offset <n>', 'first row', (v) => Number.parseInt(v, 10), 0)
    .option('-n, --limit <n>', 'rows', (v) => Number.parseInt(v, 10), 20)
    .action(
      action(async (ref: string, opts: { offset: number; limit: number }, command: Command) => {
        const page = await clientFromEnv().datasets.rows(ref, { offset: opts.offset, limit: opts.limit });
        const columns = page.columns.map((c) => c.name);
        output(command, page, {
          rows: page.rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))),
          columns,
        });
      }),
    );

  dataset
    .command('diff <from> <to>')
    .description('schema changes, rows added and removed, and distribution shift between two versions')
    .action(
      action(async (from: string, to: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().datasets.diff(from, to), describeDiff);
      }),
    );

  program
    .command('validate <ref>')
    .description('run a validation suite (YAML) against a dataset version; exits 1 when it fails')
    .requiredOption('-s, --suite <file>', 'the suite')
    .option('-r, --reference <ref>', 'reference version for drift expectations')
    .action(
      action(async (ref: string, opts: { suite: string; reference?: string }, command: Command) => {
        const suite = await readFile(opts.suite, 'utf8').catch(() => {
          throw new PlumbError('invalid_argument', `cannot read the suite ${opts.suite}`);
        });
        const report = await clientFromEnv().datasets.validate(ref, {
          suite,
          ...(opts.reference ? { reference: opts.reference } : {}),
        });
        print(command, report, describeReport);
        if (!report.passed) process.exitCode = 1;
      }),
    );

  const lineage = program
    .command('lineage')
    .description('where data and models came from, and where they went');
  lineage
    .command('dataset <ref>')
    .description(
      "a dataset version's upstream (parents, producing runs) and downstream (derived versions, runs, models)",
    )
    .action(
      action(async (ref: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().datasets.lineage(ref), describeLineage);
      }),
    );
}

function round(x: number): number {
  return Number.isInteger(x) ? x : Number(x.toPrecision(6));
}

function fmt(n: number | null): string {
  return n === null ? '-' : n.toFixed(4);
}

/** After `add`: the profile's status, and for a pending one the job and how to follow it. */
function profileNote(v: DatasetVersion): string {
  if (v.profileStatus !== 'pending' || !v.profileJob) return `profile ${v.profileStatus}`;
  return `profile pending as job ${v.profileJob.id}; follow it with plumb dataset show ${v.ref}, or add with --wait`;
}

function describeVersion(v: DatasetVersion): string {
  const lines = [
    `${v.ref}  (${v.id})`,
    `  ${v.rowCount} rows, ${v.schema.length} columns, ${v.format}, ${formatBytes(v.byteSize)}`,
    `  content ${v.contentHash}`,
    `  created ${formatTime(v.createdAt)} by ${v.createdBy}${v.message ? `: ${v.message}` : ''}`,
    `  parents ${v.parents.length ? v.parents.join(', ') : '-'}; produced by run ${v.producedByRun ?? '-'}`,
    `  ${describeProfile(v)}; validation ${v.validationStatus}`,
  ];
  if (Object.keys(v.tags).length)
    lines.push(
      `  tags ${Object.entries(v.tags)
        .map(([k, x]) => `${k}=${x}`)
        .join(' ')}`,
    );
  lines.push('', 'files:');
  for (const f of v.files) lines.push(`  ${f.path}  ${formatBytes(f.size)}  ${f.ref}`);
  lines.push('', 'columns:');
  const rows = v.schema.map((c) => {
    const p = (v.profile?.[c.name] ?? {}) as Record<string, unknown>;
    // Times are profiled as epoch milliseconds; show them as times again, a date as a date.
    const time = /^TIMESTAMP/.test(c.type) ? 'timestamp' : /^DATE/.test(c.type) ? 'date' : null;
    const show = (x: unknown) => (typeof x !== 'number' ? x : time ? formatTime(x, time) : round(x));
    return {
      name: c.name,
      type: c.type,
      nulls: p.nullFraction,
      distinct: formatDistinct(p),
      mean: show(p.mean),
      min: show(p.min),
      max: show(p.max),
    };
  });
  lines.push(formatTable(rows, ['name', 'type', 'nulls', 'distinct', 'mean', 'min', 'max']));
  if (v.sliceCounts) {
    lines.push(`slices by ${v.sliceColumn}:`);
    for (const [slice, n] of Object.entries(v.sliceCounts)) lines.push(`  ${slice}: ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

function describeReport(report: ValidationReport): string {
  const lines = [
    `${report.passed ? 'PASSED' : 'FAILED'}: ${report.suite} on ${report.version} (report ${report.id})`,
  ];
  for (const r of report.results) {
    lines.push(`  ${r.passed ? 'ok  ' : 'FAIL'} ${r.expect}${r.column ? ` ${r.column}` : ''}: ${r.message}`);
    if (!r.passed && r.failingRows?.sample.length) {
      for (const row of r.failingRows.sample) lines.push(`         ${JSON.stringify(row)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Edges read upward: parents, producing runs, and for traffic snapshots the endpoint and the versions that served it. */
const UPSTREAM_RELATIONS = new Set(['parent_of', 'produced', 'logged_into', 'served_at']);

function describeLineage(graph: Lineage): string {
  const label = new Map(graph.nodes.map((n) => [n.id, `${n.label} (${n.kind.replace('_', ' ')})`]));
  const up = (id: string, depth: number, seen: Set<string>): string[] =>
    graph.edges
      .filter((e) => e.to === id && !seen.has(e.from) && UPSTREAM_RELATIONS.has(e.relation))
      .flatMap((e) => {
        seen.add(e.from);
        return [
          `${'  '.repeat(depth)}↑ ${label.get(e.from)} [${e.relation.replaceAll('_', ' ')}]`,
          ...up(e.from, depth + 1, seen),
        ];
      });
  const down = (id: string, depth: number, seen: Set<string>): string[] =>
    graph.edges
      .filter(
        (e) =>
          e.from === id && !seen.has(e.to) && (e.relation === 'parent_of' || e.relation === 'consumed_by'),
      )
      .flatMap((e) => {
        seen.add(e.to);
        return [
          `${'  '.repeat(depth)}↓ ${label.get(e.to)} [${e.relation.replace('_', ' ')}]`,
          ...down(e.to, depth + 1, seen),
        ];
      });
  const upstream = up(graph.root, 1, new Set([graph.root]));
  const downstream = down(graph.root, 1, new Set([graph.root]));
  return `${[
    label.get(graph.root),
    'upstream:',
    ...(upstream.length ? upstream : ['  (none)']),
    'downstream:',
    ...(downstream.length ? downstream : ['  (none)']),
  ].join('\n')}\n`;
}

function describeDiff(diff: DatasetDiff): string {
  const lines = [`${diff.from} → ${diff.to}`];
  const s = diff.schema;
  if (s.added.length + s.removed.length + s.retyped.length === 0) lines.push('schema: unchanged');
  for (const c of s.added) lines.push(`schema: + ${c.name} ${c.type}`);
  for (const c of s.removed) lines.push(`schema: - ${c.name} ${c.type}`);
  for (const c of s.retyped) lines.push(`schema: ~ ${c.name} ${c.from} → ${c.to}`);
  const r = diff.rows;
  lines.push(
    `rows: ${r.from} → ${r.to} (+${r.added} added, -${r.removed} removed, ${r.unchanged} unchanged)`,
    '',
  );
  let text = `${lines.join('\n')}\n`;
  if (diff.shift.length) {
    text += formatTable(
      diff.shift.map((x) => ({
        ...x,
        psi: fmt(x.psi),
        jensenShannon: fmt(x.jensenShannon),
        ks: fmt(x.ks),
      })),
      ['column', 'kind', 'psi', 'jensenShannon', 'ks'],
    );
  }
  return text;
}
