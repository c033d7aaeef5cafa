/**
 * Baseline and current perplexity, the change in %, and what they were measured on (tokens, window
 * length, windows) next to every number. The current value comes from the cache of results (instantly
 * after a toggle when the drop-one results already hold it) or is being computed in the worker; while it
 * is, the estimate from the window batches done so far shows under it (± 2 standard errors over windows,
 * from the second window on), and, when it is paired with an earlier result, which one.
 */
import type { EvalResult, NllEstimate } from '../../engine/api';
import { describeDrops, dropKey, NO_DROPS } from '../../state/drops';
import { useWorkbench } from '../context';
import { formatInt, formatPercent, formatPpl } from '../format';
import { TaskStatus } from './TaskStatus';

function Measured({ r }: { r: EvalResult }) {
  return (
    <span className="measured" data-testid="measured">
      {formatInt(r.tokens)} tokens · {r.windows} × {r.seqLen}-token windows
    </span>
  );
}

/** "≈ 20.1 (18.2–22.3) from 3 of 8 windows, paired with nothing dropped". */
export function estimateText(e: NllEstimate): string {
  const range = Number.isFinite(e.se)
    ? ` (${formatPpl(Math.exp(e.meanNll - 2 * e.se))}–${formatPpl(Math.exp(e.meanNll + 2 * e.se))})`
    : '';
  const paired = e.pairedWith ? `, paired with ${describeDrops(e.pairedWith)}` : '';
  return `≈ ${formatPpl(Math.exp(e.meanNll))}${range} from ${e.windows} of ${e.of} windows${paired}`;
}

export function PerplexityPanel() {
  const drops = useWorkbench((s) => s.drops.current);
  const current = useWorkbench((s) => s.results.evals[dropKey(s.drops.current)] ?? null);
  const baseline = useWorkbench((s) => s.results.evals[dropKey(NO_DROPS)] ?? null);
  const error = useWorkbench((s) => s.results.error);
  const dataError = useWorkbench((s) => s.data.error);
  const hasModel = useWorkbench((s) => s.model.info !== null);
  const stopped = useWorkbench((s) => s.backend.state === 'error');
  // While the current drops are evaluated on more windows than one batch: the estimate so far.
  const estimate = useWorkbench((s) =>
    s.results.task?.name === 'evaluate' ? s.results.task.progress?.estimate : undefined,
  );
  const change = current && baseline ? current.perplexity / baseline.perplexity - 1 : null;
  const worse = change !== null && change > 0.0005;
  const better = change !== null && change < -0.0005;

  return (
    <section className="panel ppl-panel" aria-labelledby="ppl-title" data-testid="perplexity-panel">
      <header className="panel-head">
        <h2 id="ppl-title">Perplexity</h2>
        <TaskStatus />
      </header>
      <div className="ppl-grid">
        <div className="stat">
          <span className="stat-label">Baseline (nothing dropped)</span>
          <span className="stat-value" data-testid="ppl-baseline">
            {baseline ? formatPpl(baseline.perplexity) : '…'}
          </span>
          {baseline && <Measured r={baseline} />}
        </div>
        <div className="stat">
          <span className="stat-label">Current</span>
          <span
            className="stat-value current"
            data-testid="ppl-current"
            data-value={current?.perplexity ?? ''}
            aria-live="polite"
          >
            {current ? formatPpl(current.perplexity) : hasModel ? '…' : '—'}
          </span>
          {current ? (
            <Measured r={current} />
          ) : estimate ? (
            <span className="measured" data-testid="ppl-estimate" aria-live="polite">
              {estimateText(estimate)}
            </span>
          ) : (
            <span className="measured">{stopped ? 'engine stopped' : 'computing…'}</span>
          )}
        </div>
        <div className="stat">
          <span className="stat-label">Change</span>
          <span className={`stat-value${worse ? ' worse' : better ? ' better' : ''}`} data-testid="ppl-change">
            {change === null ? '…' : formatPercent(change)}
          </span>
          <span className="measured">{current ? `mean NLL ${current.meanNll.toFixed(4)} nats/token` : ''}</span>
        </div>
      </div>
      <p className="drops-line" data-testid="drops-line">
        Dropped: <strong>{describeDrops(drops)}</strong>
      </p>
      {(error || dataError) && (
        <p className="inline-error" role="alert">
          {(dataError ?? error)!.message}
        </p>
      )}
    </section>
  );
}
