import type { AnnotationStatus, QuestionAgreement } from '@plumb/sdk';
import { useLoad, useSession } from '../../api.js';
import { DataTable } from '../../components/data-table.js';
import { Async, Fields, formatNumber, Link, PageHeader, Section } from '../../components/ui.js';
import { href } from '../../router.js';
import { KeyId } from './key-id.js';

/** A project at a glance: progress, each annotator's work and gold accuracy, agreement, review. */
export function AnnotationDashboard({ project }: { project: string }) {
  const { can } = useSession();
  const state = useLoad((c) => c.annotation.status(project), [project]);
  return (
    <>
      <PageHeader
        title={project}
        sub="Annotation project"
        actions={
          can('annotation:label') ? (
            <Link to={href('/annotation', project, 'label')} className="button primary">
              Label items
            </Link>
          ) : null
        }
      />
      <Async state={state}>{(s) => <Dashboard status={s} />}</Async>
    </>
  );
}

function Dashboard({ status: s }: { status: AnnotationStatus }) {
  const i = s.items;
  const done = i.agreed + i.resolved;
  return (
    <>
      <Section title="Progress">
        <div data-testid="annotation-progress">
          <Fields
            items={[
              ['Items', i.total.toLocaleString()],
              [
                'With consensus',
                `${done.toLocaleString()} (${i.total ? Math.round((100 * done) / i.total) : 0}%)`,
              ],
              ['Open', i.open.toLocaleString()],
              ['In adjudication', i.adjudication.toLocaleString()],
              ["For the reviewer's decision", i.review.toLocaleString()],
              ['Waiting for review', s.waitingForReview.toLocaleString()],
              ['Labels', s.labels.toLocaleString()],
              ['Guidelines', `v${s.guidelinesVersion}`],
            ]}
          />
          <div
            className="annotation-bar"
            role="img"
            aria-label={`${done} of ${i.total} items have a consensus`}
          >
            <span style={{ width: `${i.total ? (100 * done) / i.total : 0}%` }} />
          </div>
        </div>
      </Section>
      <Section title="Annotators">
        <DataTable
          rows={s.annotators}
          rowKey={(a) => a.annotator}
          testId="annotation-annotators"
          initialSort={{ key: 'labelled', desc: true }}
          columns={[
            {
              key: 'who',
              label: 'Annotator',
              render: (a) => <KeyId id={a.annotator} />,
              sort: (a) => a.name,
            },
            {
              key: 'labelled',
              label: 'Labelled',
              align: 'right',
              render: (a) => a.labelled,
              sort: (a) => a.labelled,
            },
            {
              key: 'skipped',
              label: 'Skipped',
              align: 'right',
              render: (a) => a.skipped,
              sort: (a) => a.skipped,
            },
            { key: 'open', label: 'Open', align: 'right', render: (a) => a.inProgress },
            {
              key: 'gold',
              label: 'Gold accuracy',
              align: 'right',
              render: (a) =>
                a.goldAccuracy === null ? '—' : `${formatNumber(a.goldAccuracy)} of ${a.goldLabelled}`,
              sort: (a) => a.goldAccuracy,
            },
            {
              key: 'trend',
              label: 'Trend',
              render: (a) => <Trend points={a.goldTrend.map((p) => p.accuracy)} />,
            },
            {
              key: 'calibration',
              label: 'Calibration',
              render: (a) =>
                a.calibration
                  ? `${a.calibration.labelled}/${a.calibration.required}${a.calibration.score === null ? '' : ` · ${formatNumber(a.calibration.score)}`}`
                  : '—',
            },
          ]}
        />
      </Section>
      <Section title="Agreement">
        {s.agreement.questions.map((q) => (
          <QuestionView key={q.question} q={q} />
        ))}
      </Section>
    </>
  );
}

function QuestionView({ q }: { q: QuestionAgreement }) {
  const span = q.level === 'span';
  return (
    <div className="annotation-question" data-testid={`agreement-${q.question}`}>
      <h3>
        {q.question}{' '}
        <span className="muted small">
          {q.type.replaceAll('_', ' ')} · {q.level}
        </span>
      </h3>
      {q.level === 'none' ? (
        <p className="muted">Free text is not compared.</p>
      ) : (
        <>
          <Fields
            items={[
              ['Items compared', q.items.toLocaleString()],
              ['Percent agreement', formatNumber(q.percentAgreement)],
              ...(span
                ? ([
                    ['Span F1, exact', formatNumber(q.spanF1Exact)],
                    ['Span F1, overlap', formatNumber(q.spanF1Overlap)],
                  ] as [string, string][])
                : ([
                    ["Fleiss' κ", formatNumber(q.fleissKappa)],
                    ["Krippendorff's α", formatNumber(q.krippendorffAlpha)],
                  ] as [string, string][])),
            ]}
          />
          {q.pairs.length > 0 ? (
            <DataTable
              rows={q.pairs}
              rowKey={(p) => `${p.a}/${p.b}`}
              columns={[
                {
                  key: 'pair',
                  label: 'Pair',
                  render: (p) => (
                    <span>
                      <KeyId id={p.a} /> · <KeyId id={p.b} />
                    </span>
                  ),
                },
                { key: 'items', label: 'Items', align: 'right', render: (p) => p.items },
                {
                  key: 'pct',
                  label: 'Agreement',
                  align: 'right',
                  render: (p) => formatNumber(p.percentAgreement),
                },
                span
                  ? {
                      key: 'f1',
                      label: 'F1 exact / overlap',
                      align: 'right',
                      render: (p) => `${formatNumber(p.spanF1Exact)} / ${formatNumber(p.spanF1Overlap)}`,
                    }
                  : {
                      key: 'kappa',
                      label: "Cohen's κ",
                      align: 'right',
                      render: (p) => formatNumber(p.cohenKappa),
                    },
              ]}
            />
          ) : null}
        </>
      )}
    </div>
  );
}

/** Gold accuracy per window of gold labels, oldest first, as a row of bars. */
function Trend({ points }: { points: number[] }) {
  if (points.length === 0) return <span className="muted">—</span>;
  return (
    <span className="annotation-trend" title={points.map((p) => formatNumber(p, 2)).join(' → ')}>
      {points.map((p, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: windows are positions in time
        <span key={i} style={{ height: `${Math.max(2, p * 18)}px` }} />
      ))}
    </span>
  );
}
