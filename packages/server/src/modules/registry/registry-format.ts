import type { AliasMove, ModelAlias, ModelVersion, PromotionOutcome, PromotionRequest } from '@plumb/sdk';
import { formatTable } from '../../cli/cli-context.js';
import { formatTime } from '../../cli/format-time.js';
import { formatBytes } from '../../cli/progress.js';

// How the CLI shows registry objects to people; `--json` prints them as they are. Callers pass
// values through `print`, which has escaped their control characters.

export function describeVersion(v: ModelVersion): string {
  const a = v.artifact;
  const artifact =
    a.kind === 'onnx'
      ? `ONNX ${formatBytes(a.size)} ${a.blobRef}`
      : a.kind === 'oip'
        ? `Open Inference Protocol upstream ${a.url}`
        : `OpenAI-compatible upstream ${a.baseUrl}, model ${a.model}`;
  const lines = [
    `${v.ref}  (${v.id})`,
    `  status ${v.status} since ${formatTime(v.statusChangedAt)}; aliases ${v.aliases.join(', ') || 'none'}`,
    `  artifact ${artifact}`,
  ];
  if (v.upstreamKey) {
    const k = v.upstreamKey;
    lines.push(
      `  api key from the ${k.reference}: ${k.problem === null ? 'present' : `MISSING, ${k.problem}`}`,
    );
  } else if (a.kind === 'openai') lines.push('  api key none (the upstream is called without one)');
  lines.push(
    `  run ${v.runId ?? '-'}; trained on ${v.datasets.map((d) => d.ref).join(', ') || '-'}`,
    `  registered ${formatTime(v.createdAt)} by ${v.createdBy}; card ${v.hasCard ? 'yes' : 'no'}`,
  );
  if (v.description) lines.push(`  ${v.description}`);
  if (v.metrics.length)
    lines.push('', 'metrics:', formatTable(v.metrics, ['key', 'value', 'step']).trimEnd());
  return `${lines.join('\n')}\n`;
}

export function describeAlias(model: string, a: ModelAlias): string {
  return `${model}@${a.alias} → ${a.ref}\n`;
}

/**
 * Who moved an alias and, for a pipeline's move, what authorized it:
 * `pipeline run prun_… (key plumb-demo), approved by alice: 'looks good'`.
 */
export function describeMover(m: AliasMove): string {
  if (!m.pipelineRun) return m.actor;
  const run = `pipeline run ${m.pipelineRun.id} (key ${m.pipelineRun.keyName})`;
  if (m.approvedBy.length === 0) return run;
  const approvals = m.approvedBy.map((a) => (a.comment ? `${a.keyName}: '${a.comment}'` : a.keyName));
  return `${run}, approved by ${approvals.join(', ')}`;
}

export function describeRequest(r: PromotionRequest): string {
  const from = r.expectedVersion === null ? 'unset' : `v${r.expectedVersion}`;
  const lines = [
    `${r.id}: ${r.ref} → ${r.alias} (now ${from}) ${r.status}`,
    `  requested ${formatTime(r.requestedAt)} by ${r.requestedBy}${r.reason ? `: ${r.reason}` : ''}`,
  ];
  if (r.decidedBy || r.decidedAt) {
    lines.push(
      `  decided ${r.decidedAt ? formatTime(r.decidedAt) : '-'} by ${r.decidedBy ?? '-'}${r.comment ? `: ${r.comment}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function describeOutcome(o: PromotionOutcome, model: string): string {
  if (o.outcome === 'moved') return `promoted: ${describeAlias(model, o.alias)}`;
  return `approval required: ${describeRequest(o.request)}  an approver runs: plumb model approve ${o.request.id} --comment …\n`;
}
