import type { PipelineLogLine, PipelineRun } from '@plumb/sdk';
import { useEffect, useState } from 'react';
import { useSession } from '../api.js';
import { ErrorBox, Section } from '../components/ui.js';

/** The run's log, followed while the run is going: each poll asks only for the lines after the last. */
export function PipelineLogsView({ run }: { run: PipelineRun }) {
  const { client } = useSession();
  const [lines, setLines] = useState<PipelineLogLine[]>([]);
  const [error, setError] = useState<Error | null>(null);
  useEffect(() => {
    let live = true;
    let after = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const page = await client.pipelines.logs(run.id, { after });
        if (!live) return;
        after = page.last;
        if (page.lines.length) setLines((l) => [...l, ...page.lines]);
        if (!page.done) timer = setTimeout(poll, 1000);
      } catch (e) {
        if (live) setError(e instanceof Error ? e : new Error(String(e)));
      }
    };
    setLines([]);
    poll();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [client, run.id]);
  return (
    <Section title="Logs">
      {error ? <ErrorBox error={error} /> : null}
      {lines.length === 0 ? (
        <p className="muted">No output yet.</p>
      ) : (
        <pre className="logs" data-testid="pipeline-logs">
          {lines.map((l) => (
            <div key={l.seq} className={`log-${l.stream}`}>
              <span className="log-step">{l.step}</span> {l.text}
            </div>
          ))}
        </pre>
      )}
    </Section>
  );
}
