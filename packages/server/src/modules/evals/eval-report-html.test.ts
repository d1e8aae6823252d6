import type { EvalRun } from '@plumb/sdk';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderEvalReportHtml } from './eval-report-html.js';
import { reportRows } from './eval-report-rows.js';

const EVIL = `<script>alert("x")</script><img src=x onerror='y'>&amp;`;

function run(overrides: Partial<EvalRun> = {}): EvalRun {
  return {
    id: 'evr_01TEST',
    projectId: 'prj_01TEST',
    suite: { id: 'evs_01TEST', name: 'gate', version: 2, ref: 'gate@v2' },
    candidate: { versionId: 'mv_01CAND', ref: `weather@v2${EVIL}` },
    baseline: { versionId: 'mv_01BASE', ref: 'weather@v1' },
    baselineRequested: `weather@champion${EVIL}`,
    datasets: [{ versionId: 'dsv_01', ref: `data@v1${EVIL}`, role: 'data' }],
    status: 'succeeded',
    rowsDone: 10,
    rowsTotal: 10,
    result: {
      task: 'classification',
      metrics: ['accuracy', 'roc_auc'],
      slices: [
        {
          name: 'overall',
          kind: 'overall',
          rows: 10,
          candidate: { accuracy: 0.8, roc_auc: null },
          baseline: { accuracy: 0.75, roc_auc: null },
          notes: { roc_auc: `label ${EVIL} only` },
        },
        {
          name: `rain${EVIL}`,
          kind: 'slice',
          rows: 4,
          candidate: { accuracy: 0.5, roc_auc: 0.7 },
          baseline: { accuracy: 0.75, roc_auc: 0.6 },
          notes: {},
        },
      ],
      skippedRows: { nullLabel: 1, badFeature: 0 },
      fairness: [
        {
          groupColumn: `region${EVIL}`,
          metric: 'demographic_parity',
          max: 0.1,
          groups: 2,
          candidate: 0.05,
          baseline: 0.07,
          note: null,
        },
      ],
      significance: {
        test: 'mcnemar',
        metric: 'accuracy',
        alpha: 0.05,
        delta: 0.05,
        pValue: 0.5,
        table: [
          [6, 1],
          [2, 1],
        ],
        low: null,
        high: null,
        seed: null,
        iterations: null,
        verdict: 'no_significant_difference',
        note: null,
      },
      batchSize: 4096,
      timings: { scanMs: 1, inferenceMs: 2, metricsMs: 3 },
    },
    decision: {
      id: 'gd_01TEST',
      evalRunId: 'evr_01TEST',
      suite: 'gate@v2',
      candidateVersionId: 'mv_01CAND',
      baselineVersionId: 'mv_01BASE',
      passed: false,
      reasons: [`slice rain${EVIL}: accuracy 0.5 is 0.25 below the baseline's 0.75 (max regression 0.02)`],
      checks: [
        {
          rule: 'max_slice_regression',
          slice: `rain${EVIL}`,
          metric: 'accuracy',
          status: 'fail',
          message: `slice rain${EVIL}: accuracy 0.5 is 0.25 below the baseline's 0.75 (max regression 0.02)`,
        },
        {
          rule: 'threshold',
          slice: 'overall',
          metric: 'accuracy',
          status: 'pass',
          message: 'overall: accuracy 0.8 meets the minimum 0.7',
        },
      ],
      decidedAt: '2026-01-01T00:00:00.000Z',
    },
    error: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: `key_${EVIL}`,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    ...overrides,
  };
}

describe('the HTML report', () => {
  it('escapes every text it shows, so no value can add markup', () => {
    const html = renderEvalReportHtml(run());
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    const tagsWritten = [...html.matchAll(/<[a-zA-Z][^>]*>/g)].map((m) => m[0]);
    for (const tag of tagsWritten) expect(tag).not.toMatch(/\s(on\w+|src|href)=/i);
    expect(html).toContain(escapeHtml(EVIL));
    // Exactly the markup the renderer writes itself: no tag comes from the data.
    const tags = new Set([...html.matchAll(/<\/?([a-zA-Z0-9!]+)/g)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].sort()).toEqual(
      [
        '!doctype',
        'body',
        'code',
        'div',
        'h1',
        'h2',
        'head',
        'html',
        'li',
        'meta',
        'p',
        'span',
        'strong',
        'style',
        'table',
        'td',
        'th',
        'title',
        'tr',
        'ul',
      ].sort(),
    );
  });

  it('is self-contained: inline CSS, no scripts, links or external assets, and a policy forbidding them', () => {
    const html = renderEvalReportHtml(run());
    for (const [tag] of html.matchAll(/<[a-zA-Z][^>]*>/g)) expect(tag).not.toMatch(/\s(src|href|action)=/i);
    expect(html).not.toMatch(/url\(|@import|https?:\/\//i);
    expect(html).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    );
    expect(html).toMatch(/<style>[^<]+<\/style>/);
  });

  it('shows the decision, the slice by metric table with deltas, fairness and significance', () => {
    const html = renderEvalReportHtml(run());
    expect(html).toContain('Gate failed: 1 rule failed');
    expect(html).toContain(
      '<td class="num">0.8000</td><td class="num">0.7500</td><td class="num up">+0.0500</td>',
    );
    expect(html).toContain('<td class="num down">-0.2500</td><td><span class="tag fail">fail</span></td>');
    expect(html).toContain('McNemar (exact) on right/wrong per row: p = 0.5');
    expect(html).toContain('no significant difference');
    expect(
      renderEvalReportHtml(run({ decision: null, result: null, status: 'failed', error: 'boom <b>' })),
    ).toContain('No gate decision: boom &lt;b&gt;');
  });

  it('rows pair each slice and metric with the gate checks about them', () => {
    expect(
      reportRows(run()).map((r) => [
        r.slice.slice(0, 4),
        r.metric,
        r.delta === null ? null : Number(r.delta.toFixed(4)),
        r.gate,
      ]),
    ).toEqual([
      ['over', 'accuracy', 0.05, 'pass'],
      ['over', 'roc_auc', null, null],
      ['rain', 'accuracy', -0.25, 'fail'],
      ['rain', 'roc_auc', 0.1, null],
    ]);
  });
});
