import { readFile } from 'node:fs/promises';
import type { CreateEndpoint, Endpoint, RedactionMode, UpdateEndpoint } from '@plumb/sdk';
import type { Command } from 'commander';
import { action, clientFromEnv, output, print } from '../../cli/cli-context.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { PlumbError } from '../../core/errors.js';

interface EndpointOptions {
  route?: string[];
  shadow?: string[];
  fallback?: string[];
  defaultResponse?: string;
  timeoutMs?: number;
  cacheTtlMs?: number;
  reviewThreshold?: string;
  redact?: string[];
  features?: string;
  description?: string;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
const integer = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n))
    throw new PlumbError('invalid_argument', `${what} must be an integer, got ${value}`);
  return n;
};

function withEndpointOptions(command: Command): Command {
  return command
    .option('--route <ref=weight>', 'a route: name@vN or name@alias, = its weight (repeat)', collect)
    .option('--shadow <ref>', 'a version that gets a copy of each request (repeat)', collect)
    .option('--fallback <ref>', 'a version tried on error or timeout, in order (repeat)', collect)
    .option('--default-response <json>', 'answered when every version failed')
    .option('--timeout-ms <ms>', 'longest a version may take', integer('--timeout-ms'))
    .option('--cache-ttl-ms <ms>', 'how long answers are cached (0: off)', integer('--cache-ttl-ms'))
    .option(
      '--review-threshold <p>',
      'confidence below which predictions are queued for review ("none": off)',
    )
    .option('--redact <field[:hash]>', 'an input field dropped (or hashed) before logging (repeat)', collect)
    .option('--features <list>', "comma-separated input feature order (default: the model's metadata)")
    .option('--description <text>', 'what the endpoint is for');
}

/** The settings the options name; options left out stay as they are (update) or default (create). */
export function settingsFromOptions(opts: EndpointOptions): UpdateEndpoint {
  const out: UpdateEndpoint = {};
  if (opts.route) out.routes = opts.route.map(parseRoute);
  if (opts.shadow) out.shadows = opts.shadow;
  if (opts.fallback || opts.defaultResponse !== undefined) {
    out.fallback = {
      versions: opts.fallback ?? [],
      defaultResponse:
        opts.defaultResponse === undefined ? null : parseJson('--default-response', opts.defaultResponse),
    };
  }
  if (opts.timeoutMs !== undefined) out.timeoutMs = opts.timeoutMs;
  if (opts.cacheTtlMs !== undefined) out.cacheTtlMs = opts.cacheTtlMs;
  if (opts.reviewThreshold !== undefined) {
    out.reviewThreshold = opts.reviewThreshold === 'none' ? null : Number(opts.reviewThreshold);
  }
  if (opts.redact) {
    out.redact = Object.fromEntries(
      opts.redact.map((r) => {
        const [field, mode = 'drop'] = r.split(':');
        if (mode !== 'drop' && mode !== 'hash') {
          throw new PlumbError('invalid_argument', `--redact ${r}: the mode after ":" is drop or hash`);
        }
        return [field!, mode as RedactionMode];
      }),
    );
  }
  if (opts.features !== undefined) out.features = opts.features.split(',').map((f) => f.trim());
  if (opts.description !== undefined) out.description = opts.description;
  return out;
}

function parseRoute(value: string): { target: string; weight: number } {
  const at = value.lastIndexOf('=');
  if (at === -1) return { target: value, weight: 100 };
  const weight = Number(value.slice(at + 1));
  if (!Number.isFinite(weight) || weight <= 0) {
    throw new PlumbError(
      'invalid_argument',
      `--route ${value}: the weight after "=" must be a positive number`,
    );
  }
  return { target: value.slice(0, at), weight };
}

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PlumbError('invalid_argument', `${what} is not valid JSON: ${text.slice(0, 80)}`);
  }
}

function describe(e: Endpoint): string {
  const total = e.routes.reduce((s, r) => s + r.weight, 0);
  const lines = [
    `${e.name}${e.description ? ` — ${e.description}` : ''}`,
    ...e.routes.map((r) => `  route    ${r.target}  ${((100 * r.weight) / total).toFixed(1)}%`),
    ...e.shadows.map((s) => `  shadow   ${s}`),
    ...e.fallback.versions.map((f) => `  fallback ${f}`),
    ...(e.fallback.defaultResponse !== null
      ? [`  default  ${JSON.stringify(e.fallback.defaultResponse)}`]
      : []),
    `  timeout ${e.timeoutMs} ms, cache ${e.cacheTtlMs > 0 ? `${e.cacheTtlMs} ms` : 'off'}, review below ${e.reviewThreshold ?? 'never'}`,
    ...(Object.keys(e.redact).length > 0
      ? [
          `  redact   ${Object.entries(e.redact)
            .map(([f, m]) => `${f}:${m}`)
            .join(', ')}`,
        ]
      : []),
    ...(e.features ? [`  features ${e.features.join(', ')}`] : []),
  ];
  return `${lines.join('\n')}\n`;
}

export function registerServingCommands(program: Command): void {
  const endpoint = program
    .command('endpoint')
    .description('endpoints: routes over model versions, shadows, fallback');

  withEndpointOptions(endpoint.command('create <name>').description('create an endpoint')).action(
    action(async (name: string, opts: EndpointOptions, command: Command) => {
      const settings = settingsFromOptions(opts);
      if (!settings.routes)
        throw new PlumbError('invalid_argument', 'give at least one --route name@alias=weight');
      const body = { name, ...settings } as CreateEndpoint;
      print(command, await clientFromEnv().endpoints.create(body), describe);
    }),
  );
  withEndpointOptions(
    endpoint.command('update <name>').description('change an endpoint; options left out stay'),
  ).action(
    action(async (name: string, opts: EndpointOptions, command: Command) => {
      print(command, await clientFromEnv().endpoints.update(name, settingsFromOptions(opts)), describe);
    }),
  );
  endpoint
    .command('show <name>')
    .description('an endpoint and how it serves')
    .action(
      action(async (name: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().endpoints.get(name), describe);
      }),
    );
  pagingOptions(endpoint.command('list').description("the project's endpoints"), 'endpoints').action(
    action(async (opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.endpoints.list(q), opts);
      output(command, items, {
        rows: items.map((e) => ({
          ...e,
          routes: e.routes.map((r) => `${r.target}=${r.weight}`).join(' '),
          shadows: e.shadows.join(' '),
        })),
        columns: ['name', 'routes', 'shadows', 'updatedAt'],
      });
    }),
  );
  endpoint
    .command('delete <name>')
    .description('delete an endpoint with its review queue')
    .action(
      action(async (name: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().endpoints.delete(name), (e) => `deleted ${e.name}\n`);
      }),
    );
  pagingOptions(
    endpoint
      .command('review-queue <name>')
      .description('predictions below the review threshold, oldest first'),
    'items',
  ).action(
    action(async (name: string, opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.endpoints.reviewQueue(name, q), opts);
      output(command, items, {
        rows: items.map((i) => ({ ...i, inputs: JSON.stringify(i.inputs) })),
        columns: ['predictionId', 'modelVersion', 'label', 'confidence', 'inputs', 'createdAt'],
      });
    }),
  );
  endpoint
    .command('shadows <name>')
    .description("each shadow's agreement with the primary and latency difference")
    .action(
      action(async (name: string, _opts: unknown, command: Command) => {
        const report = await clientFromEnv().endpoints.shadows(name);
        output(command, report, {
          rows: report.shadows,
          columns: [
            'shadow',
            'compared',
            'failed',
            'dropped',
            'labelAgreement',
            'meanAbsScoreDiff',
            'meanLatencyDiffMs',
          ],
        });
      }),
    );

  program
    .command('predict <endpoint>')
    .description('predict rows of named features through an endpoint')
    .option('--input <json>', 'one row: a JSON object of feature values')
    .option('--file <rows.jsonl>', 'rows, one JSON object a line')
    .option('--route-key <key>', 'keep this caller on one route')
    .option('--time <iso>', 'when the rows happened, for replays and backfills (a key that may write events)')
    .action(
      action(
        async (
          name: string,
          opts: { input?: string; file?: string; routeKey?: string; time?: string },
          command: Command,
        ) => {
          if ((opts.input === undefined) === (opts.file === undefined)) {
            throw new PlumbError('invalid_argument', 'give exactly one of --input and --file');
          }
          const rows =
            opts.input !== undefined ? [parseJson('--input', opts.input)] : await readRows(opts.file!);
          const client = clientFromEnv();
          const predictions = [];
          // 1,000 rows a request, the server's limit.
          for (let i = 0; i < rows.length; i += 1000) {
            const result = await client.endpoints.predict(name, {
              inputs: rows.slice(i, i + 1000) as Record<string, unknown>[],
              ...(opts.routeKey ? { routeKey: opts.routeKey } : {}),
              ...(opts.time !== undefined ? { time: opts.time } : {}),
            });
            predictions.push(...result.predictions);
          }
          output(
            command,
            { endpoint: name, predictions },
            {
              rows: predictions.map((p) => ({ ...p, output: JSON.stringify(p.output) })),
              columns: ['predictionId', 'modelVersion', 'arm', 'label', 'confidence', 'output'],
            },
          );
        },
      ),
    );
}

async function readRows(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new PlumbError('invalid_argument', `cannot read ${file}`);
  });
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i] as const)
    .filter(([line]) => line.length > 0)
    .map(([line, i]) => {
      const row = parseJson(`${file} line ${i + 1}`, line);
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        throw new PlumbError('invalid_argument', `${file} line ${i + 1} is not a JSON object`);
      }
      return row;
    });
}
