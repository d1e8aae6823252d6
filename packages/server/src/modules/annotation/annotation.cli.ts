import { readFile } from 'node:fs/promises';
import type { AnnotationProject, AnnotationStatus, CreateAnnotationProject } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, formatTable, output, print } from '../../cli/cli-context.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { PlumbError } from '../../core/errors.js';
import { registerAnnotationWorkCommands } from './annotation-work.cli.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const number = (what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new PlumbError('invalid_argument', `${what} must be a number, got ${value}`);
  return n;
};

interface CreateOptions {
  schema: string;
  guidelines?: string;
  description?: string;
  overlap?: number;
  goldRate?: number;
  calibration?: number;
  adjudicationThreshold?: number;
  consensus?: string;
  minAgreement?: number;
  spotCheckRate?: number;
  leaseMinutes?: number;
}

function requireField(field: unknown): string {
  if (typeof field !== 'string') throw new PlumbError('invalid_argument', '--from-coverage needs --field');
  return field;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function figure(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : v.toFixed(3);
}

export function renderStatus(s: AnnotationStatus): string {
  const i = s.items;
  const lines = [
    `${s.project}  guidelines v${s.guidelinesVersion}`,
    `items ${i.total}: ${i.open} open, ${i.agreed} agreed, ${i.resolved} resolved, ${i.adjudication} in adjudication, ${i.review} for review`,
    `labels ${s.labels}; waiting for review ${s.waitingForReview}`,
    '',
  ];
  const annotators = formatTable(
    s.annotators.map((a) => ({
      annotator: a.name,
      labelled: a.labelled,
      skipped: a.skipped,
      open: a.inProgress,
      gold: a.goldLabelled,
      gold_accuracy: figure(a.goldAccuracy),
      trend: a.goldTrend.map((t) => t.accuracy.toFixed(2)).join(' ') || '-',
      calibration: a.calibration
        ? `${a.calibration.labelled}/${a.calibration.required} ${figure(a.calibration.score)}`
        : '-',
    })),
    ['annotator', 'labelled', 'skipped', 'open', 'gold', 'gold_accuracy', 'trend', 'calibration'],
  );
  const agreement = formatTable(
    s.agreement.questions.map((q) => ({
      question: q.question,
      level: q.level,
      items: q.items,
      percent: figure(q.percentAgreement),
      fleiss_kappa: figure(q.fleissKappa),
      kripp_alpha: figure(q.krippendorffAlpha),
      span_f1:
        q.level === 'span' ? `${figure(q.spanF1Exact)} exact, ${figure(q.spanF1Overlap)} overlap` : '-',
    })),
    ['question', 'level', 'items', 'percent', 'fleiss_kappa', 'kripp_alpha', 'span_f1'],
  );
  const pairs = s.agreement.questions.flatMap((q) =>
    q.pairs.map((p) => ({
      question: q.question,
      pair: `${p.a} ${p.b}`,
      items: p.items,
      percent: figure(p.percentAgreement),
      cohen_kappa: figure(p.cohenKappa),
      span_f1: q.level === 'span' ? `${figure(p.spanF1Exact)}/${figure(p.spanF1Overlap)}` : '-',
    })),
  );
  return `${lines.join('\n')}${annotators}\n${agreement}${pairs.length ? `\n${formatTable(pairs, ['question', 'pair', 'items', 'percent', 'cohen_kappa', 'span_f1'])}` : ''}`;
}

function renderProject(p: AnnotationProject): string {
  const s = p.settings;
  const consensus =
    s.consensus.rule === 'majority'
      ? `majority (at least ${s.consensus.minAgreement})`
      : "the reviewer's decision";
  return [
    `${p.name}  guidelines v${p.guidelinesVersion}  ${plural(p.items, 'item')}, ${p.goldItems} gold`,
    `overlap ${s.overlap}, gold rate ${s.goldRate}, calibration ${s.calibrationItems} items, adjudication below ${s.adjudicationThreshold}`,
    `consensus: ${consensus}; spot checks ${s.spotCheckRate}; leases ${s.leaseMinutes} min`,
    ...p.schema.questions.map((q) => `  ${q.name}: ${q.type}`),
    '',
  ].join('\n');
}

export function registerAnnotationCommands(program: Command): void {
  const annotate = program
    .command('annotate')
    .description('annotation projects: tasks, labels, agreement, review, export');
  const project = annotate.command('project').description('annotation projects');

  project
    .command('create <name>')
    .description('create a project from a label schema (YAML) and guidelines (Markdown)')
    .requiredOption('--schema <file>', 'the label schema, YAML')
    .option('--guidelines <file>', 'the guidelines, Markdown')
    .option('--description <text>', 'what the project is for')
    .option('--overlap <n>', 'annotators per item (default 2)', number('--overlap'))
    .option('--gold-rate <share>', 'share of gold items mixed in (default 0)', number('--gold-rate'))
    .option(
      '--calibration <n>',
      'gold items each annotator labels first (default 0)',
      number('--calibration'),
    )
    .option(
      '--adjudication-threshold <share>',
      'item agreement below which it is adjudicated (default 0.5)',
      number('--adjudication-threshold'),
    )
    .option('--consensus <rule>', 'majority or reviewer (default majority)')
    .option('--min-agreement <share>', 'share the majority needs (default 0.5)', number('--min-agreement'))
    .option(
      '--spot-check-rate <share>',
      'share of agreed items a reviewer checks (default 0)',
      number('--spot-check-rate'),
    )
    .option(
      '--lease-minutes <n>',
      'minutes an annotator holds an item (default 60)',
      number('--lease-minutes'),
    )
    .action(
      action(async (name: string, opts: CreateOptions, command: Command) => {
        if (opts.consensus !== undefined && opts.consensus !== 'majority' && opts.consensus !== 'reviewer') {
          throw new PlumbError('invalid_argument', '--consensus is majority or reviewer');
        }
        const body: CreateAnnotationProject = {
          name,
          schema: await readFile(opts.schema, 'utf8'),
          guidelines: opts.guidelines === undefined ? '' : await readFile(opts.guidelines, 'utf8'),
          ...(opts.description === undefined ? {} : { description: opts.description }),
          ...(opts.overlap === undefined ? {} : { overlap: opts.overlap }),
          ...(opts.goldRate === undefined ? {} : { goldRate: opts.goldRate }),
          ...(opts.calibration === undefined ? {} : { calibrationItems: opts.calibration }),
          ...(opts.adjudicationThreshold === undefined
            ? {}
            : { adjudicationThreshold: opts.adjudicationThreshold }),
          ...(opts.spotCheckRate === undefined ? {} : { spotCheckRate: opts.spotCheckRate }),
          ...(opts.leaseMinutes === undefined ? {} : { leaseMinutes: opts.leaseMinutes }),
          ...(opts.consensus === 'reviewer'
            ? { consensus: { rule: 'reviewer' as const } }
            : opts.consensus === 'majority' || opts.minAgreement !== undefined
              ? { consensus: { rule: 'majority' as const, minAgreement: opts.minAgreement ?? 0.5 } }
              : {}),
        };
        const created = await clientFromEnv().annotation.create(body);
        print(command, created, (p) => `created ${renderProject(p)}`);
      }),
    );

  pagingOptions(project.command('list').description('list annotation projects'), 'projects').action(
    action(async (opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const page = await fetchPages((q) => client.annotation.list(q), opts);
      output(command, page, {
        rows: page.items.map((p) => ({
          ...p,
          guidelines: `v${p.guidelinesVersion}`,
          overlap: p.settings.overlap,
        })),
        columns: ['name', 'items', 'goldItems', 'overlap', 'guidelines', 'createdAt'],
      });
    }),
  );

  project
    .command('show <name>')
    .description('an annotation project: schema, settings, counts')
    .action(
      action(async (name: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().annotation.get(name), renderProject);
      }),
    );

  const guidelines = annotate.command('guidelines').description('versioned guidelines (Markdown)');
  guidelines
    .command('set <project> <file>')
    .description('publish a new guidelines version')
    .action(
      action(async (name: string, file: string, _opts: unknown, command: Command) => {
        const g = await clientFromEnv().annotation.setGuidelines(name, await readFile(file, 'utf8'));
        print(command, g, (x) => `${name}: guidelines v${x.version}\n`);
      }),
    );
  guidelines
    .command('show <project>')
    .description('print the guidelines')
    .option('--version <n>', 'an earlier version', number('--version'))
    .action(
      action(async (name: string, opts: { version?: number }, command: Command) => {
        const g = await clientFromEnv().annotation.guidelines(name, opts.version);
        print(command, g, (x) => `guidelines v${x.version}\n\n${x.markdown}\n`);
      }),
    );

  annotate
    .command('tasks <project>')
    .description('add items from a dataset version, an endpoint review queue or a coverage-gap report')
    .option('--from-dataset <ref>', 'rows of a dataset version, name@vN')
    .option('--slice <value>', 'only rows of this slice (repeatable)', collect, [])
    .option('--from-review-queue <endpoint>', "an endpoint's low-confidence predictions")
    .option('--from-coverage <endpoint>', "predictions in an endpoint's coverage gaps (with --field)")
    .option('--field <name>', 'the input field whose coverage is compared')
    .option(
      '--min-gap <share>',
      'how much more often production sees a value than training (default 0.05)',
      number('--min-gap'),
    )
    .option('--limit <n>', 'at most this many items', number('--limit'))
    .action(
      action(async (name: string, opts: Record<string, unknown>, command: Command) => {
        const limit = opts.limit === undefined ? {} : { limit: opts.limit as number };
        const chosen = ['fromDataset', 'fromReviewQueue', 'fromCoverage'].filter(
          (k) => opts[k] !== undefined,
        );
        if (chosen.length !== 1) {
          throw new PlumbError(
            'invalid_argument',
            'name one source: --from-dataset, --from-review-queue or --from-coverage',
          );
        }
        const slices = opts.slice as string[];
        const body =
          opts.fromDataset !== undefined
            ? {
                source: 'dataset' as const,
                version: opts.fromDataset as string,
                ...(slices.length ? { slices } : {}),
                ...limit,
              }
            : opts.fromReviewQueue !== undefined
              ? { source: 'review_queue' as const, endpoint: opts.fromReviewQueue as string, ...limit }
              : {
                  source: 'coverage' as const,
                  endpoint: opts.fromCoverage as string,
                  field: requireField(opts.field),
                  ...(opts.minGap === undefined ? {} : { minGap: opts.minGap as number }),
                  ...limit,
                };
        const added = await clientFromEnv().annotation.addTasks(name, body);
        print(
          command,
          added,
          (a) => `${name}: ${plural(a.added, 'item')} added, ${a.alreadyPresent} already present\n`,
        );
      }),
    );

  annotate
    .command('gold <project> <file>')
    .description('add gold items from JSON lines of {"data": {...}, "answer": {...}}')
    .action(
      action(async (name: string, file: string, _opts: unknown, command: Command) => {
        const items = (await readFile(file, 'utf8'))
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l, i) => {
            try {
              return JSON.parse(l) as { data: Record<string, unknown>; answer: Record<string, unknown> };
            } catch {
              throw new PlumbError('invalid_argument', `${file} line ${i + 1} is not JSON`);
            }
          });
        const added = await clientFromEnv().annotation.addGold(name, { items });
        print(
          command,
          added,
          (a) => `${name}: ${plural(a.added, 'gold item')} added, ${a.alreadyPresent} already present\n`,
        );
      }),
    );

  annotate
    .command('status <project>')
    .description('progress per annotator, agreement, gold accuracy, items waiting for review')
    .action(
      action(async (name: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().annotation.status(name), renderStatus);
      }),
    );

  annotate
    .command('export <project>')
    .description('write the consensus as a new dataset version, with its lineage')
    .requiredOption('--to <dataset>', 'the dataset that gets the new version')
    .option('-m, --message <text>', "the version's message")
    .action(
      action(async (name: string, opts: { to: string; message?: string }, command: Command) => {
        const x = await clientFromEnv().annotation.export(name, {
          to: opts.to,
          ...(opts.message === undefined ? {} : { message: opts.message }),
        });
        print(
          command,
          x,
          (e) =>
            `${e.datasetVersion}: ${plural(e.rows, 'row')} (${plural(e.leftOut, 'item')} without consensus left out)\n` +
            `guidelines ${e.lineage.guidelineVersions.map((v) => `v${v}`).join(', ') || '-'}; ${e.lineage.annotators.length} annotators; ` +
            `sources ${e.lineage.sources.map((s) => `${s.kind}:${s.ref}`).join(', ')}\n`,
        );
      }),
    );

  registerAnnotationWorkCommands(annotate);
}
