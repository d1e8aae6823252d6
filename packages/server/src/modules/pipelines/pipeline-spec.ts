import { PipelineSpec, type PipelineStepKind, type PipelineStepSpec } from '@plumb/sdk';
import { PlumbError } from '../../core/errors.js';
import { readYaml, type YamlPath } from '../../core/yaml-input.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of a spec duration: `30s`, `10m`, or a number of seconds. */
export function durationMs(value: number | string): number {
  if (typeof value === 'number') return value * 1000;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new PlumbError('invalid_argument', `${value} is not a duration`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Kinds whose outputs depend on their inputs alone, so reusing them is safe by default. */
const CACHED_BY_DEFAULT: ReadonlySet<PipelineStepKind> = new Set([
  'command',
  'train',
  'validate',
  'evaluate',
]);
/** Kinds that change the world (or wait for people): never reused from another run. */
const NEVER_CACHED: ReadonlySet<PipelineStepKind> = new Set(['register', 'deploy', 'promote', 'approval']);

export function cachesStep(step: PipelineStepSpec): boolean {
  if (NEVER_CACHED.has(step.kind)) return false;
  return step.cache ?? CACHED_BY_DEFAULT.has(step.kind);
}

interface Problem {
  path: YamlPath;
  message: string;
}

/**
 * Parses and checks a pipeline's YAML: the schema, step names, `needs` (a DAG: a cycle is named
 * step by step), inputs from earlier steps (only from steps it depends on), and each kind's
 * settings. Errors name their line.
 */
export function parsePipeline(text: string): PipelineSpec {
  const input = readYaml(text, 'the pipeline');
  const parsed = PipelineSpec.safeParse(input.data ?? {});
  const problems: Problem[] = parsed.success
    ? crossChecks(parsed.data)
    : parsed.error.issues.map((issue) => ({
        path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
        message: issue.message,
      }));
  if (problems.length > 0) {
    const lines = problems.map((p) => {
      const line = input.lineOf(p.path);
      const where = p.path.length === 0 ? '(pipeline)' : p.path.join('.');
      return `${where}: ${p.message}${line === null ? '' : ` (line ${line})`}`;
    });
    throw new PlumbError('invalid_argument', `the pipeline is invalid: ${lines.join('; ')}`, {
      details: { problems: lines },
    });
  }
  return parsed.data as PipelineSpec;
}

function crossChecks(spec: PipelineSpec): Problem[] {
  const problems: Problem[] = [];
  const index = new Map<string, number>();
  spec.steps.forEach((s, i) => {
    if (index.has(s.name))
      problems.push({ path: ['steps', i, 'name'], message: `step ${s.name} is defined twice` });
    index.set(s.name, i);
  });
  spec.steps.forEach((s, i) => {
    s.needs.forEach((n, j) => {
      if (!index.has(n)) problems.push({ path: ['steps', i, 'needs', j], message: `no step is named ${n}` });
      if (n === s.name)
        problems.push({ path: ['steps', i, 'needs', j], message: 'a step cannot need itself' });
    });
  });
  if (problems.length > 0) return problems;
  const cycle = findCycle(spec.steps);
  if (cycle) {
    return [
      {
        path: ['steps', index.get(cycle[0]!)!, 'needs'],
        message: `the steps form a cycle: ${cycle.join(' → ')}`,
      },
    ];
  }
  const ancestors = ancestorsOf(spec.steps);
  spec.steps.forEach((s, i) => {
    for (const [name, source] of Object.entries(s.inputs)) {
      if (typeof source !== 'string') continue;
      const from = source.split('.')[1]!;
      if (!index.has(from)) {
        problems.push({ path: ['steps', i, 'inputs', name], message: `no step is named ${from}` });
      } else if (!ancestors.get(s.name)!.has(from)) {
        problems.push({
          path: ['steps', i, 'inputs', name],
          message: `${from} must be in this step's needs (directly or through another step) to use its outputs`,
        });
      }
    }
    problems.push(...kindChecks(s).map((p) => ({ path: ['steps', i, ...p.path], message: p.message })));
  });
  spec.triggers.forEach((t, i) => {
    if ('cron' in t) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: t.timeZone });
      } catch {
        problems.push({ path: ['triggers', i, 'timeZone'], message: `${t.timeZone} is not a time zone` });
      }
    }
  });
  return problems;
}

function kindChecks(s: PipelineStepSpec): Problem[] {
  const problems: Problem[] = [];
  const need = (key: string, what: string) => {
    if (s.with[key] === undefined)
      problems.push({ path: ['with', key], message: `a ${s.kind} step needs ${what}` });
  };
  if (s.kind === 'command' || s.kind === 'train') {
    if (!s.run) problems.push({ path: ['run'], message: `a ${s.kind} step needs run: [program, args…]` });
  } else if (s.run) {
    problems.push({ path: ['run'], message: `run is for command and train steps, not ${s.kind}` });
  }
  const input = (name: string) => {
    if (s.inputs[name] === undefined)
      problems.push({ path: ['inputs', name], message: `a ${s.kind} step needs the input ${name}` });
  };
  switch (s.kind) {
    case 'validate':
      input('dataset');
      need('suite', 'with.suite (a validation suite)');
      break;
    case 'snapshot':
      need('endpoint', 'with.endpoint');
      need('dataset', 'with.dataset (the dataset to add a version to)');
      break;
    case 'evaluate':
      input('model');
      need('suite', 'with.suite (an evaluation suite name)');
      break;
    case 'register':
      input('artifact');
      need('model', 'with.model (the model name)');
      break;
    case 'deploy':
      input('model');
      need('endpoint', 'with.endpoint');
      if (s.with.mode !== 'shadow' && s.with.mode !== 'canary')
        problems.push({ path: ['with', 'mode'], message: 'a deploy step needs with.mode: shadow or canary' });
      break;
    case 'promote':
      input('model');
      break;
    case 'approval': {
      const approvers = s.with.approvers;
      const role = s.with.role;
      if (approvers === undefined && role === undefined)
        problems.push({
          path: ['with'],
          message: 'an approval step needs with.approvers (key names) or with.role',
        });
      if (
        approvers !== undefined &&
        !(Array.isArray(approvers) && approvers.every((a) => typeof a === 'string'))
      )
        problems.push({ path: ['with', 'approvers'], message: 'must be a list of key names or ids' });
      const quorum = s.with.quorum;
      if (quorum !== undefined && !(Number.isInteger(quorum) && (quorum as number) >= 1))
        problems.push({ path: ['with', 'quorum'], message: 'must be a positive integer' });
      const onTimeout = s.with.onTimeout;
      if (onTimeout !== undefined && onTimeout !== 'approve' && onTimeout !== 'reject')
        problems.push({ path: ['with', 'onTimeout'], message: 'must be approve or reject' });
      if (s.with.timeout !== undefined) {
        try {
          durationMs(s.with.timeout as string);
        } catch {
          problems.push({ path: ['with', 'timeout'], message: 'must be a duration such as 2h or 3d' });
        }
      }
      break;
    }
  }
  return problems;
}

/** The first cycle found, as its steps in order with the first repeated at the end; null for a DAG. */
export function findCycle(steps: readonly { name: string; needs: readonly string[] }[]): string[] | null {
  const needs = new Map(steps.map((s) => [s.name, s.needs]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const n of needs.get(name) ?? []) {
      const found = visit(n);
      if (found) return found;
    }
    path.pop();
    state.set(name, 'done');
    return null;
  };
  for (const s of steps) {
    const found = visit(s.name);
    // Found walking needs (child → parent); reversed it reads in execution order.
    if (found) return found.reverse();
  }
  return null;
}

function ancestorsOf(steps: readonly PipelineStepSpec[]): Map<string, Set<string>> {
  const needs = new Map(steps.map((s) => [s.name, s.needs]));
  const memo = new Map<string, Set<string>>();
  const of = (name: string): Set<string> => {
    const known = memo.get(name);
    if (known) return known;
    const all = new Set<string>();
    for (const n of needs.get(name) ?? []) {
      all.add(n);
      for (const a of of(n)) all.add(a);
    }
    memo.set(name, all);
    return all;
  };
  for (const s of steps) of(s.name);
  return memo;
}
