import type { ModelCard } from '@plumb/sdk';
import { parse as parseYaml } from 'yaml';
import { PlumbError } from '../../core/errors.js';

/** The narrative a person must write; owner and risk class come from the registry. */
export const REQUIRED_CARD_FIELDS = [
  'intended_use',
  'out_of_scope_use',
  'limitations',
  'ethical_considerations',
] as const;

const KNOWN = [...REQUIRED_CARD_FIELDS, 'owner', 'risk_class'] as const;
type KnownField = (typeof KNOWN)[number];

export interface ParsedCard {
  fields: Record<KnownField, string | null>;
  extra: Record<string, unknown>;
  body: string;
}

const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

/**
 * Splits a card into its YAML front matter and Markdown body. A card without front matter is
 * all body. Fields may be text or a list of lines; blank fields count as missing.
 */
export function parseCard(text: string): ParsedCard {
  const match = FRONT_MATTER.exec(text);
  let meta: unknown = {};
  if (match) {
    try {
      meta = parseYaml(match[1]!) ?? {};
    } catch (error) {
      throw new PlumbError(
        'invalid_argument',
        `the model card's front matter is not valid YAML: ${error instanceof Error ? error.message : error}`,
        { cause: error },
      );
    }
    if (typeof meta !== 'object' || Array.isArray(meta)) {
      throw new PlumbError('invalid_argument', "the model card's front matter must be a mapping of fields");
    }
  }
  const record = meta as Record<string, unknown>;
  const fields = Object.fromEntries(KNOWN.map((k) => [k, textOf(k, record[k])])) as ParsedCard['fields'];
  const extra = Object.fromEntries(
    Object.entries(record).filter(([k]) => !(KNOWN as readonly string[]).includes(k)),
  );
  return { fields, extra, body: (match ? text.slice(match[0].length) : text).trim() };
}

export const RISK_CLASSES: readonly string[] = ['minimal', 'limited', 'high', 'unacceptable'];

/** A card that states a risk class must agree with the registry: a card must not understate risk. */
export function checkCardRisk(card: ParsedCard | null, modelRisk: string): void {
  const stated = card?.fields.risk_class;
  if (stated === null || stated === undefined) return;
  if (!RISK_CLASSES.includes(stated)) throw invalidRisk(stated);
  if (stated !== modelRisk) {
    throw new PlumbError(
      'invalid_argument',
      `the model card says risk class ${stated} but the model is classed ${modelRisk}; fix the card or the model`,
    );
  }
}

export function invalidRisk(value: string): PlumbError {
  return new PlumbError(
    'invalid_argument',
    `risk class "${value}" is not one of minimal, limited, high, unacceptable`,
  );
}

export function missingCardFields(card: ParsedCard | null): string[] {
  return REQUIRED_CARD_FIELDS.filter((f) => !card || card.fields[f] === null);
}

function textOf(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    const lines = value.map((v) => String(v).trim()).filter((v) => v !== '');
    return lines.length === 0 ? null : lines.map((l) => `- ${l}`).join('\n');
  }
  throw new PlumbError('invalid_argument', `model card field ${field} must be text or a list of lines`);
}

/** Where the key is read, by name: the card never holds a key. */
function keyNote(a: { apiKeyEnv?: string | undefined; apiKeyFile?: string | undefined }): string {
  if (a.apiKeyEnv !== undefined) return `, API key from the server's environment variable ${a.apiKeyEnv}`;
  if (a.apiKeyFile !== undefined) return `, API key from the server's secret file ${a.apiKeyFile}`;
  return '';
}

/** Renders the completed card as Markdown: the same facts as the JSON, for people and exports. */
export function renderCard(card: Omit<ModelCard, 'markdown'>): string {
  const out: string[] = [`# Model card: ${card.ref}`, ''];
  const a = card.version.artifact;
  const artifact =
    a.kind === 'onnx'
      ? `ONNX file, ${a.size} bytes, \`${a.blobRef}\``
      : a.kind === 'oip'
        ? `Open Inference Protocol upstream ${a.url}`
        : `OpenAI-compatible upstream ${a.baseUrl}, model ${a.model}${keyNote(a)}`;
  out.push(
    table(
      ['Field', 'Value'],
      [
        ['Model', card.model.name],
        ['Version', `${card.ref} (\`${card.version.id}\`)`],
        ['Status', card.version.status],
        ['Owner', card.model.owner],
        ['Risk class (EU AI Act)', card.model.riskClass],
        ['Aliases', card.aliases.join(', ') || 'none'],
        ['Artifact', artifact],
        ['Registered', `${card.version.createdAt} by ${card.version.createdBy}`],
      ],
    ),
  );
  if (card.model.description) out.push('', card.model.description);
  if (card.missingFields.length > 0) {
    out.push('', `> **Incomplete:** ${card.missingFields.join(', ')} not provided.`);
  }
  const d = card.declared;
  for (const [title, value] of [
    ['Intended use', d.intendedUse],
    ['Out-of-scope use', d.outOfScopeUse],
    ['Limitations', d.limitations],
    ['Ethical considerations', d.ethicalConsiderations],
  ] as const) {
    out.push('', `## ${title}`, '', value ?? '_Not provided._');
  }

  out.push('', '## Training', '');
  const t = card.training;
  if (!t) out.push('_No training run was recorded for this version._');
  else {
    out.push(`Run \`${t.runId}\` (${t.name}), ${t.status}, code version ${t.codeVersion ?? 'not recorded'}.`);
    const params = Object.entries(t.params);
    if (params.length > 0)
      out.push(
        '',
        table(
          ['Parameter', 'Value'],
          params.map(([k, v]) => [k, String(v)]),
        ),
      );
  }
  if (card.metrics.length > 0) {
    out.push(
      '',
      table(
        ['Metric', 'Value', 'Step'],
        card.metrics.map((m) => [m.key, String(m.value), String(m.step)]),
      ),
    );
  }

  out.push('', '## Training data', '');
  if (card.data.length === 0) out.push('_No dataset versions were recorded._');
  else {
    out.push(
      table(
        ['Dataset version', 'Rows', 'Profile', 'Validation'],
        card.data.map((x) => [
          x.ref,
          x.rowCount?.toString() ?? '?',
          x.profileStatus ?? '?',
          x.validationStatus ?? '?',
        ]),
      ),
    );
  }

  out.push('', '## Evaluations', '');
  if (card.evaluations.length === 0) out.push('_Not evaluated yet._');
  for (const e of card.evaluations) {
    const verdict = e.decision ? (e.decision.passed ? 'gate passed' : 'gate failed') : 'no gate decision';
    out.push(`### ${e.suite} (${e.createdAt}, ${verdict})`, '');
    const metricNames = [...new Set(Object.values(e.metrics).flatMap((m) => Object.keys(m)))].sort();
    if (metricNames.length > 0) {
      out.push(
        table(
          ['Slice', ...metricNames],
          Object.entries(e.metrics).map(([slice, m]) => [slice, ...metricNames.map((n) => fmt(m[n]))]),
        ),
        '',
      );
    }
    for (const reason of e.decision?.reasons ?? []) out.push(`- ${reason}`);
  }

  out.push('', '## Promotion gate', '');
  const g = card.latestGate;
  if (!g) out.push('_No gate decision recorded._');
  else {
    out.push(`Latest decision (${g.suite}, ${g.decidedAt}): **${g.passed ? 'passed' : 'failed'}**.`);
    for (const reason of g.reasons) out.push(`- ${reason}`);
  }

  out.push('', '## Approvals', '');
  if (card.approvals.length === 0) out.push('_No promotion requests._');
  else {
    out.push(
      table(
        ['Request', 'Alias', 'Status', 'Requested by', 'Decided by', 'Comment'],
        card.approvals.map((r) => [
          r.id,
          r.alias,
          r.status,
          r.requestedBy,
          r.decidedBy ?? '',
          r.comment ?? '',
        ]),
      ),
    );
  }
  if (d.body) out.push('', '## Notes', '', d.body);
  return `${out.join('\n')}\n`;
}

function fmt(value: number | undefined): string {
  return value === undefined ? '' : Number.isInteger(value) ? String(value) : value.toFixed(4);
}

/** A Markdown table; cells are kept on one line and their pipes escaped. */
function table(header: string[], rows: string[][]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}
