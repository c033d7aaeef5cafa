/** Model loading status: the size estimate (before download), byte and file progress, errors. */
import { sourceLabel } from '../../state/model-source';
import { useController, useWorkbench } from '../context';
import { formatBytes, formatCount } from '../format';

const STAGES: Record<string, string> = {
  download: 'Downloading',
  read: 'Reading files',
  load: 'Decoding weights',
  compile: 'Building sublayer graphs',
};

/** `hideError`: the panel shows a newer error of its own instead (one current error per panel). */
export function LoadProgress({ hideError = false }: { hideError?: boolean }) {
  const controller = useController();
  const m = useWorkbench((s) => s.model);
  if (m.status === 'error' && m.error) {
    if (hideError) return null;
    return (
      <div className="load-error" role="alert" data-testid="model-error" data-code={m.error.code}>
        <strong>Could not load the model.</strong> {m.error.message}
        {m.info && <span className="still-loaded"> {sourceLabel(m.info.source)} is still loaded.</span>}
      </div>
    );
  }
  if (m.status === 'inspecting') {
    return (
      <div className="load-status" data-testid="model-progress" data-stage="inspect">
        <span className="spinner" aria-hidden="true" /> Reading config.json…
      </div>
    );
  }
  if (m.status === 'loading') {
    const p = m.progress;
    const e = m.estimate;
    const frac = p && p.total > 0 ? Math.min(1, p.done / p.total) : null;
    return (
      <div className="load-status" data-testid="model-progress" data-stage={p?.stage ?? 'start'}>
        {e && (
          <p className="estimate" data-testid="model-estimate">
            {formatCount(e.parameters)} parameters · {formatBytes(e.storedBytes)} to{' '}
            {e.cached ? 'read from the cache' : 'download'} · {formatBytes(e.float32Bytes)} in memory
            {e.limitBytes ? ` (limit ${formatBytes(e.limitBytes)})` : ''}
          </p>
        )}
        {e?.precisions && (
          <p className="estimate" data-testid="model-precisions">
            Peak memory by weight precision:{' '}
            {e.precisions.map((x, i) => (
              <span
                key={x.precision}
                title={x.fits ? 'fits this device' : `needs more than this device has: ${x.over.join('; ')}`}
              >
                {i > 0 ? ' · ' : ''}
                {x.precision} {formatBytes(x.peakBytes)} {x.fits ? '✓' : '✗'}
              </span>
            ))}
            {e.best ? ` (loading at ${e.best} unless chosen)` : ''}
          </p>
        )}
        <div className="progress-line">
          <span>{p ? (STAGES[p.stage] ?? p.stage) : 'Starting'}</span>
          {p?.unit === 'bytes' && (
            <span data-testid="progress-bytes">
              {formatBytes(p.done)} / {formatBytes(p.total)}
            </span>
          )}
          {p?.unit === 'sublayers' && (
            <span>
              {p.done} / {p.total} graphs
            </span>
          )}
          {p?.files && (
            <span data-testid="progress-files">
              file {Math.min(p.files.done + (p.files.done < p.files.total ? 1 : 0), p.files.total)} of {p.files.total}
            </span>
          )}
        </div>
        <progress max={1} value={frac ?? undefined} aria-label="Model loading progress" />
        {p?.file && <span className="progress-file">{p.file}</span>}
        <button type="button" className="link-button" onClick={() => controller.cancelLoad()}>
          Cancel
        </button>
      </div>
    );
  }
  if (m.status === 'ready' && m.info) {
    const s = m.info.spec;
    return (
      <p className="load-ok" data-testid="model-ready">
        {s.family} · {s.numLayers} layers · d={s.hiddenSize} · {s.numHeads}/{s.numKvHeads} heads ·{' '}
        {formatCount(m.info.parameters)} parameters · weights {m.info.weights ?? 'fp32'}
        {m.fromCache ? ' · from the cache (offline)' : ''}
      </p>
    );
  }
  return null;
}
