import type { AnnotationLabel, LabelValue } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, output, print } from '../../cli/cli-context.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { PlumbError } from '../../core/errors.js';

function parseValue(text: string): LabelValue {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PlumbError('invalid_argument', '--value must be a JSON object of answers by question');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PlumbError('invalid_argument', '--value must be a JSON object of answers by question');
  }
  return value as LabelValue;
}

const labelColumns = ['itemId', 'annotatorName', 'value', 'guidelinesVersion', 'revision', 'createdAt'];
const labelRows = (labels: AnnotationLabel[]) =>
  labels.map((l) => ({ ...l, value: JSON.stringify(l.value) }));

/** Labelling and reviewing from a terminal: what the annotator page does, one command each. */
export function registerAnnotationWorkCommands(annotate: Command): void {
  annotate
    .command('next <project>')
    .description('the next item for you to label')
    .action(
      action(async (name: string, _opts: unknown, command: Command) => {
        const next = await clientFromEnv().annotation.next(name);
        print(command, next, (n) =>
          n.task
            ? `${n.task.calibration ? 'calibration item' : 'item'} ${n.task.itemId} (guidelines v${n.task.guidelinesVersion})\n${JSON.stringify(n.task.data, null, 2)}\n`
            : 'nothing left for you to label\n',
        );
      }),
    );

  annotate
    .command('label <project> <item>')
    .description('label an item you were given')
    .requiredOption('--value <json>', 'answers by question, e.g. {"sentiment":"positive"}')
    .option('--edit', 'change your earlier label instead')
    .action(
      action(
        async (name: string, item: string, opts: { value: string; edit?: boolean }, command: Command) => {
          const client = clientFromEnv();
          const body = { value: parseValue(opts.value) };
          const result = opts.edit
            ? await client.annotation.editLabel(name, item, body)
            : await client.annotation.label(name, item, body);
          print(command, result, (r) => {
            const c = r.calibration;
            const score =
              c?.score === null || c?.score === undefined ? '' : `; calibration score ${c.score.toFixed(3)}`;
            return `labelled ${r.label.itemId} (revision ${r.label.revision}, guidelines v${r.label.guidelinesVersion})${score}\n`;
          });
        },
      ),
    );

  annotate
    .command('skip <project> <item>')
    .description('give an item back')
    .requiredOption('--reason <text>', 'why')
    .action(
      action(async (name: string, item: string, opts: { reason: string }, command: Command) => {
        print(
          command,
          await clientFromEnv().annotation.skip(name, item, opts.reason),
          (s) => `skipped ${s.itemId}\n`,
        );
      }),
    );

  pagingOptions(
    annotate
      .command('labels <project>')
      .description('every individual label')
      .option('--item <id>', 'of one item')
      .option('--annotator <key>', 'of one annotator (key id)'),
    'labels',
    200,
  ).action(
    action(
      async (name: string, opts: PagingOptions & { item?: string; annotator?: string }, command: Command) => {
        const client = clientFromEnv();
        const filter = {
          ...(opts.item ? { item: opts.item } : {}),
          ...(opts.annotator ? { annotator: opts.annotator } : {}),
        };
        const page = await fetchPages((q) => client.annotation.labels(name, { ...q, ...filter }), opts);
        output(command, page, { rows: labelRows(page.items), columns: labelColumns });
      },
    ),
  );

  pagingOptions(
    annotate.command('review-queue <project>').description('items waiting for a reviewer'),
    'items',
  ).action(
    action(async (name: string, opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const page = await fetchPages((q) => client.annotation.reviewQueue(name, q), opts);
      output(command, page, {
        rows: page.items.map((t) => ({
          ...t,
          agreement: t.agreement === null ? null : t.agreement.toFixed(3),
          consensus: t.consensus === null ? null : JSON.stringify(t.consensus),
          labels: t.labels.map((l) => JSON.stringify(l.value)).join(' | '),
        })),
        columns: ['itemId', 'reason', 'agreement', 'consensus', 'labels'],
      });
    }),
  );

  annotate
    .command('review <project> <item>')
    .description("accept an item's consensus, or settle it with your answer")
    .option('--accept', 'the consensus stands')
    .option('--value <json>', 'your answer, which becomes the consensus')
    .option('--note <text>', 'why', '')
    .action(
      action(
        async (
          name: string,
          item: string,
          opts: { accept?: boolean; value?: string; note: string },
          command: Command,
        ) => {
          if (Boolean(opts.accept) === (opts.value !== undefined)) {
            throw new PlumbError('invalid_argument', 'give either --accept or --value');
          }
          const review = await clientFromEnv().annotation.review(
            name,
            item,
            opts.accept
              ? { decision: 'accept', note: opts.note }
              : { decision: 'override', value: parseValue(opts.value!), note: opts.note },
          );
          print(
            command,
            review,
            (r) =>
              `${r.itemId}: ${r.decision === 'accept' ? 'accepted' : 'settled'} as ${JSON.stringify(r.value)}\n`,
          );
        },
      ),
    );
}
