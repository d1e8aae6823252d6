import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { type InventoryItem, type Lineage, type Model, ModelVersionStatus, RiskClass } from '@plumb/sdk';
import { type Command, Option } from 'commander';
import { action, clientFromEnv, output, print, showsProgress } from '../../cli/cli-context.js';
import { fetchPages, type PagingOptions, pagingOptions } from '../../cli/paging.js';
import { createProgress, formatBytes } from '../../cli/progress.js';
import { escapeDocument } from '../../cli/safe-text.js';
import { PlumbError } from '../../core/errors.js';
import { uploadFile } from '../datasets/dataset-files.js';
import { describeVersion } from './registry-format.js';

const collect = (value: string, previous: string[]) => [...previous, value];

async function readText(path: string, what: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => {
    throw new PlumbError('invalid_argument', `cannot read the ${what} ${path}`);
  });
}

/** `plumb model create|update|list|show|versions|register|status|card`, `plumb inventory`, `plumb lineage model`. */
export function registerModelCommands(program: Command, model: Command): void {
  model
    .command('create <name>')
    .description('create a model with its risk class (EU AI Act), owner and promotion policy')
    .addOption(
      new Option('--risk-class <class>', 'minimal, limited, high or unacceptable')
        .choices(RiskClass.options)
        .makeOptionMandatory(),
    )
    .option('--owner <owner>', 'who answers for the model (default: your key name)')
    .option('--description <text>', 'what the model does', '')
    .option(
      '--gated-alias <alias>',
      'an alias whose move needs a passed evaluation gate (repeatable; default champion)',
      collect,
      [],
    )
    .option('--approval-required', 'promotions need approval by someone else (always so for high risk)')
    .action(
      action(async (name: string, opts: Record<string, unknown>, command: Command) => {
        const gated = opts.gatedAlias as string[];
        const created = await clientFromEnv().models.create({
          name,
          riskClass: opts.riskClass as RiskClass,
          description: String(opts.description ?? ''),
          ...(opts.owner ? { owner: String(opts.owner) } : {}),
          policy: {
            gatedAliases: gated.length > 0 ? gated : ['champion'],
            approvalRequired: Boolean(opts.approvalRequired),
          },
        });
        print(command, created, describeModel);
      }),
    );

  model
    .command('update <name>')
    .description("change a model's owner, description, risk class or policy")
    .addOption(new Option('--risk-class <class>', 'new risk class').choices(RiskClass.options))
    .option('--owner <owner>', 'new owner')
    .option('--description <text>', 'new description')
    .option('--gated-alias <alias>', 'the full list of gated aliases (repeatable)', collect, [])
    .option('--no-gated-aliases', 'gate no alias')
    .addOption(
      new Option('--approval-required <yes|no>', 'whether promotions need approval').choices(['yes', 'no']),
    )
    .action(
      action(async (name: string, opts: Record<string, unknown>, command: Command) => {
        const gated = opts.gatedAlias as string[];
        const policy = {
          ...(gated.length > 0
            ? { gatedAliases: gated }
            : opts.gatedAliases === false
              ? { gatedAliases: [] }
              : {}),
          ...(opts.approvalRequired ? { approvalRequired: opts.approvalRequired === 'yes' } : {}),
        };
        const updated = await clientFromEnv().models.update(name, {
          ...(opts.riskClass ? { riskClass: opts.riskClass as RiskClass } : {}),
          ...(opts.owner ? { owner: String(opts.owner) } : {}),
          ...(opts.description !== undefined ? { description: String(opts.description) } : {}),
          ...(Object.keys(policy).length > 0 ? { policy } : {}),
        });
        print(command, updated, describeModel);
      }),
    );

  pagingOptions(model.command('list').description("list the project's models"), 'models').action(
    action(async (opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.models.list(q), opts);
      output(command, items, {
        rows: items.map((m) => ({ ...m, aliases: aliasList(m.aliases) })),
        columns: ['name', 'riskClass', 'owner', 'versionCount', 'aliases', 'approvalRequired'],
      });
    }),
  );

  model
    .command('show <name>')
    .description('a model: risk class, owner, policy and aliases')
    .action(
      action(async (name: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().models.get(name), describeModel);
      }),
    );

  pagingOptions(
    model.command('versions <name>').description("a model's versions, newest first"),
    'versions',
  ).action(
    action(async (name: string, opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.models.versions(name, q), opts);
      output(command, items, {
        rows: items.map((v) => ({ ...v, artifact: v.artifact.kind, aliases: v.aliases.join(',') })),
        columns: ['ref', 'status', 'artifact', 'runId', 'aliases', 'createdAt'],
      });
    }),
  );

  model
    .command('register <name>')
    .description('register a new version: an ONNX file (uploaded and checked by loading it) or an upstream')
    .option('--artifact <file>', 'the ONNX model file')
    .option('--upstream-oip <url>', 'an Open Inference Protocol v2 model URL')
    .option('--upstream-openai <url>', 'an OpenAI-compatible base URL (with --upstream-model)')
    .option('--upstream-model <name>', 'the model name the OpenAI-compatible upstream serves')
    .option(
      '--api-key-env <name>',
      "the server's environment variable holding the OpenAI-compatible upstream's API key",
    )
    .option(
      '--api-key-file <name>',
      "a file in the server's secrets folder (PLUMB_HOME/secrets) holding the upstream's API key",
    )
    .option('--run <run>', 'the training run (run_…): its inputs and latest metrics are recorded')
    .option('--card <file>', 'the model card: Markdown with YAML front matter')
    .option('--signature <file>', 'a JSON file declaring an upstream’s inputs and outputs')
    .option('--description <text>', 'what changed in this version', '')
    .addOption(
      new Option('--risk-class <class>', 'when this creates the model: its risk class').choices(
        RiskClass.options,
      ),
    )
    .option('--owner <owner>', 'when this creates the model: its owner')
    .action(
      action(async (name: string, opts: Record<string, string | undefined>, command: Command) => {
        const client = clientFromEnv();
        const sources = [opts.artifact, opts.upstreamOip, opts.upstreamOpenai].filter(Boolean);
        if (sources.length !== 1) {
          throw new PlumbError(
            'invalid_argument',
            'give exactly one of --artifact, --upstream-oip, --upstream-openai',
          );
        }
        if (opts.upstreamOpenai && !opts.upstreamModel) {
          throw new PlumbError('invalid_argument', '--upstream-openai needs --upstream-model');
        }
        if ((opts.apiKeyEnv || opts.apiKeyFile) && !opts.upstreamOpenai) {
          throw new PlumbError(
            'invalid_argument',
            '--api-key-env and --api-key-file go with --upstream-openai',
          );
        }
        let artifact: Parameters<typeof client.models.register>[1]['artifact'];
        if (opts.artifact) {
          const absolute = resolve(opts.artifact);
          const info = await stat(absolute).catch(() => null);
          if (!info?.isFile()) throw new PlumbError('invalid_argument', `${opts.artifact}: no such file`);
          const bar = createProgress({
            tty: showsProgress(command),
            label: `uploading ${basename(absolute)}`,
            unit: 'bytes',
          });
          const { ref } = await uploadFile(
            client,
            { path: basename(absolute), absolute, size: info.size },
            (n) => bar.update(n, info.size),
          );
          bar.finish();
          artifact = { kind: 'onnx', blobRef: ref };
        } else if (opts.upstreamOip) artifact = { kind: 'oip', url: opts.upstreamOip };
        else {
          artifact = {
            kind: 'openai',
            baseUrl: opts.upstreamOpenai!,
            model: opts.upstreamModel!,
            ...(opts.apiKeyEnv ? { apiKeyEnv: opts.apiKeyEnv } : {}),
            ...(opts.apiKeyFile ? { apiKeyFile: opts.apiKeyFile } : {}),
          };
        }
        const signature = opts.signature
          ? JSON.parse(await readText(opts.signature, 'signature'))
          : undefined;
        const version = await client.models.register(name, {
          artifact,
          description: opts.description ?? '',
          ...(opts.run ? { runId: opts.run } : {}),
          ...(opts.card ? { card: await readText(opts.card, 'model card') } : {}),
          ...(signature ? { signature } : {}),
          ...(opts.riskClass || opts.owner
            ? {
                model: {
                  ...(opts.riskClass ? { riskClass: opts.riskClass as RiskClass } : {}),
                  ...(opts.owner ? { owner: opts.owner } : {}),
                },
              }
            : {}),
        });
        print(command, version, (v) => {
          const a = v.artifact;
          return (
            `registered ${v.ref} (${v.id}): ${a.kind === 'onnx' ? `ONNX, ${formatBytes(a.size)}` : `${a.kind} upstream`}` +
            `${v.runId ? `, run ${v.runId}` : ''}${v.datasets.length ? `, trained on ${v.datasets.map((d) => d.ref).join(', ')}` : ''}\n`
          );
        });
      }),
    );

  model
    .command('show-version <ref>')
    .description('one version (name@vN, name@latest or name@<alias>)')
    .action(
      action(async (ref: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().models.version(ref), describeVersion);
      }),
    );

  model
    .command('status <ref> <status>')
    .description(
      `set a version's status: ${ModelVersionStatus.options.filter((s) => s !== 'production').join(', ')}`,
    )
    .option('--reason <text>', 'why', '')
    .action(
      action(async (ref: string, status: string, opts: { reason: string }, command: Command) => {
        const parsed = ModelVersionStatus.safeParse(status);
        if (!parsed.success) throw new PlumbError('invalid_argument', `unknown status ${status}`);
        const v = await clientFromEnv().models.setStatus(ref, { status: parsed.data, reason: opts.reason });
        print(command, v, (safe) => `${safe.ref} is ${safe.status}\n`);
      }),
    );

  model
    .command('card <ref>')
    .description('the model card, completed from training, data, evaluations and approvals')
    .option('--set <file>', "replace the version's card with this file first")
    .action(
      action(async (ref: string, opts: { set?: string }, command: Command) => {
        const client = clientFromEnv();
        if (opts.set) await client.models.setCard(ref, { card: await readText(opts.set, 'model card') });
        const card = await client.models.card(ref);
        print(command, card, () => escapeDocument(card.markdown));
      }),
    );

  pagingOptions(
    program
      .command('inventory')
      .description(
        "every model: owner, risk class, versions, aliases, latest gate and the champion's training data",
      ),
    'models',
  ).action(
    action(async (opts: PagingOptions, command: Command) => {
      const client = clientFromEnv();
      const { items } = await fetchPages((q) => client.models.inventory(q), opts);
      output(command, items, {
        rows: items.map((m) => ({
          ...m,
          aliases: aliasList(m.aliases),
          gate: gateColumn(m.latestGate),
          data: m.championDatasets.map((d) => d.ref).join(','),
          pending: m.pendingRequests,
        })),
        columns: ['name', 'riskClass', 'owner', 'versionCount', 'aliases', 'gate', 'pending', 'data'],
      });
    }),
  );

  const lineage =
    program.commands.find((c) => c.name() === 'lineage') ??
    program.command('lineage').description('where data and models came from, and where they went');
  lineage
    .command('model <ref>')
    .description('a model version’s training run, its dataset versions and their parents')
    .action(
      action(async (ref: string, _opts: unknown, command: Command) => {
        print(command, await clientFromEnv().models.lineage(ref), describeUpstream);
      }),
    );
}

/** `passed v2 vs v1`: the decision and the versions it judged, so it reads beside the aliases. */
function gateColumn(gate: InventoryItem['latestGate']): string | null {
  if (!gate) return null;
  const model = gate.ref.slice(0, gate.ref.indexOf('@') + 1);
  // A baseline of the same model shows as its version; another model's by its full ref.
  const short = (ref: string) => (ref.startsWith(model) ? ref.slice(model.length) : ref);
  const against = gate.baselineRef ? `vs ${short(gate.baselineRef)}` : 'vs no baseline';
  return `${gate.passed ? 'passed' : 'FAILED'} ${short(gate.ref)} ${against}`;
}

function aliasList(aliases: Record<string, string>): string {
  return Object.entries(aliases)
    .map(([alias, ref]) => `${alias}=${ref.slice(ref.indexOf('@') + 1)}`)
    .join(',');
}

function describeModel(m: Model): string {
  return `${[
    `${m.name}  (${m.id})`,
    `  risk class ${m.riskClass}; owner ${m.owner}`,
    `  ${m.versionCount} version(s)${m.latestVersion ? `, latest v${m.latestVersion}` : ''}`,
    `  gated aliases: ${m.policy.gatedAliases.join(', ') || 'none'}; approval ${m.approvalRequired ? 'required' : 'not required'}${
      m.approvalRequired && !m.policy.approvalRequired ? ' (high risk)' : ''
    }`,
    `  aliases: ${aliasList(m.aliases) || 'none'}`,
    ...(m.description ? [`  ${m.description}`] : []),
  ].join('\n')}\n`;
}

function describeUpstream(graph: Lineage): string {
  const label = new Map(graph.nodes.map((n) => [n.id, `${n.label} (${n.kind.replace('_', ' ')})`]));
  const walk = (id: string, depth: number, seen: Set<string>): string[] =>
    graph.edges
      .filter((e) => e.to === id && !seen.has(e.from))
      .flatMap((e) => {
        seen.add(e.from);
        return [
          `${'  '.repeat(depth)}↑ ${label.get(e.from)} [${e.relation.replace('_', ' ')}]`,
          ...walk(e.from, depth + 1, seen),
        ];
      });
  const lines = walk(graph.root, 1, new Set([graph.root]));
  return `${[label.get(graph.root), ...(lines.length ? lines : ['  (no recorded origin)'])].join('\n')}\n`;
}
