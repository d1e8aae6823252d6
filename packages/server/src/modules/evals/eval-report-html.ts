import type { EvalRun } from '@plumb/sdk';
import { formatValue, reportRows } from './eval-report-rows.js';

/** Text for HTML content and attribute values: every character with a meaning in HTML is escaped. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

// No scripts, fonts or images: the file opens the same offline, attached to an email or an
// audit, and the policy forbids loading anything should a value ever slip past escaping.
const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2330}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.75rem 0 .5rem}
.muted{color:#5b6475}.banner{padding:.75rem 1rem;border-radius:6px;margin:1rem 0;font-weight:600}
.pass{background:#e5f6ea;color:#14532d}.fail{background:#fde8e8;color:#7f1d1d}.none{background:#eef0f4}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{padding:.3rem .6rem;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}
th{background:#f5f6f9;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.up{color:#14532d}.down{color:#991b1b}.tag{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:12px;font-weight:600}
ul{margin:.25rem 0;padding-left:1.25rem}code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
`;

/** A self-contained HTML report of one evaluation run: decision, per-slice metrics, checks. */
export function renderEvalReportHtml(run: EvalRun): string {
  const e = escapeHtml;
  const title = `${run.suite.ref}: ${run.candidate.ref}${run.baseline ? ` vs ${run.baseline.ref}` : ''}`;
  const parts: string[] = [];
  parts.push(`<h1>Evaluation ${e(title)}</h1>`);
  parts.push(
    `<div class="muted">run <code>${e(run.id)}</code> · ${e(run.status)} · created ${e(run.createdAt)} by ${e(run.createdBy)}</div>`,
  );

  const decision = run.decision;
  if (decision) {
    parts.push(
      `<div class="banner ${decision.passed ? 'pass' : 'fail'}">Gate ${decision.passed ? 'passed' : 'failed'}${decision.reasons.length ? `: ${decision.reasons.length} rule${decision.reasons.length === 1 ? '' : 's'} failed` : ''}</div>`,
    );
    if (decision.reasons.length)
      parts.push(`<ul>${decision.reasons.map((r) => `<li>${e(r)}</li>`).join('')}</ul>`);
  } else {
    parts.push(
      `<div class="banner none">No gate decision${run.error ? `: ${e(run.error)}` : ` (run ${e(run.status)})`}</div>`,
    );
  }

  const baselineHtml = run.baseline
    ? `${e(run.baseline.ref)} (<code>${e(run.baseline.versionId)}</code>)`
    : run.baselineRequested
      ? `none: ${e(run.baselineRequested)} points at no version`
      : 'none';
  const meta: [string, string][] = [
    ['Suite', e(run.suite.ref)],
    ['Candidate', `${e(run.candidate.ref)} (<code>${e(run.candidate.versionId)}</code>)`],
    ['Baseline', baselineHtml],
    [
      'Datasets',
      run.datasets.map((d) => `${e(d.ref)}${d.role === 'red_team' ? ' (red team)' : ''}`).join(', '),
    ],
    [
      'Duration',
      run.durationMs === null
        ? '-'
        : run.durationMs < 1000
          ? `${run.durationMs} ms`
          : `${(run.durationMs / 1000).toFixed(1)} s`,
    ],
  ];
  const result = run.result;
  if (result) {
    meta.push([
      'Skipped rows',
      `${result.skippedRows.nullLabel} with no label, ${result.skippedRows.badFeature} with a missing or non-finite feature`,
    ]);
    meta.push([
      'Time',
      `scan ${result.timings.scanMs} ms, inference ${result.timings.inferenceMs} ms (batches of ${result.batchSize}), metrics ${result.timings.metricsMs} ms`,
    ]);
  }
  parts.push(`<table>${meta.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`);

  if (result) {
    parts.push('<h2>Metrics by slice</h2>');
    const rows = reportRows(run)
      .map((r) => {
        const cls = r.delta === null || r.delta === 0 ? '' : r.delta > 0 ? 'up' : 'down';
        const gate = r.gate === null ? '' : `<span class="tag ${r.gate}">${r.gate}</span>`;
        return `<tr><td>${e(r.slice)}</td><td class="num">${r.rows}</td><td>${e(r.metric)}</td><td class="num">${formatValue(r.candidate)}</td><td class="num">${formatValue(r.baseline)}</td><td class="num ${cls}">${formatValue(r.delta, true)}</td><td>${gate}</td><td class="muted">${e(r.note ?? '')}</td></tr>`;
      })
      .join('');
    parts.push(
      `<table><tr><th>Slice</th><th>Rows</th><th>Metric</th><th>Candidate</th><th>Baseline</th><th>Δ</th><th>Gate</th><th>Note</th></tr>${rows}</table>`,
    );
    if (result.fairness.length) {
      parts.push('<h2>Fairness</h2>');
      const fr = result.fairness
        .map(
          (f) =>
            `<tr><td>${e(f.metric)}</td><td>${e(f.groupColumn)}</td><td class="num">${f.groups}</td><td class="num">${formatValue(f.candidate)}</td><td class="num">${formatValue(f.baseline)}</td><td class="num">${formatValue(f.max)}</td><td class="muted">${e(f.note ?? '')}</td></tr>`,
        )
        .join('');
      parts.push(
        `<table><tr><th>Gap</th><th>Group column</th><th>Groups</th><th>Candidate</th><th>Baseline</th><th>Max</th><th>Note</th></tr>${fr}</table>`,
      );
    }
    const s = result.significance;
    if (s) {
      parts.push('<h2>Significance</h2>');
      const detail =
        s.test === 'mcnemar'
          ? `McNemar (exact) on right/wrong per row: p = ${s.pValue === null ? '-' : e(String(s.pValue))}${s.table ? `, table ${e(JSON.stringify(s.table))}` : ''}`
          : `paired bootstrap of ${e(s.metric)}: ${s.iterations} resamples, seed ${s.seed}, interval [${formatValue(s.low)}, ${formatValue(s.high)}]`;
      parts.push(
        `<p>${detail}; difference ${formatValue(s.delta, true)}, alpha ${s.alpha}: <strong>${e(s.verdict.replaceAll('_', ' '))}</strong>${s.note ? ` (${e(s.note)})` : ''}</p>`,
      );
    }
  }
  if (decision) {
    parts.push('<h2>Gate checks</h2>');
    const checks = decision.checks
      .map(
        (c) =>
          `<tr><td><span class="tag ${c.status === 'skip' ? 'none' : c.status}">${c.status}</span></td><td>${e(c.rule)}</td><td>${e(c.message)}</td></tr>`,
      )
      .join('');
    parts.push(`<table><tr><th>Status</th><th>Rule</th><th>Check</th></tr>${checks}</table>`);
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(`Plumb evaluation ${title}`)}</title><style>${STYLE}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}
