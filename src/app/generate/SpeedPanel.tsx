/**
 * Prefill and decode speed and KV-cache size of the full and the pruned model, measured here in the
 * browser (worker, workbench backend) on the exported fp32 KV-cache graph, at a few context lengths.
 * The method is bench/export-speed.ts's, smaller: per context a warm-up, then `reps` interleaved
 * repetitions, medians; each decode step is fed the previous step's cache.
 */
import { useState } from 'react';
import { uiError, type UiError } from '../../state/store';
import { useWorkbench } from '../context';
import { formatBytes } from '../format';
import type { SpeedReport } from '../../engine/api';
import { useExportClient } from '../export/export-client';
import '../export/export.css';
import { contextChoices, droppedLabel, formatRate, formatRatio, KV_FLOAT32_WHY, speedRows } from './generate-view';

const DECODE_STEPS = 16;
const REPS = 5;

type Job =
  | { state: 'idle' }
  | { state: 'running'; done: number; total: number }
  | { state: 'done'; report: SpeedReport }
  | { state: 'failed'; error: UiError };

export function SpeedPanel() {
  const client = useExportClient();
  const info = useWorkbench((s) => (s.model.status === 'ready' ? s.model.info : null));
  const drops = useWorkbench((s) => s.drops.current);
  const maxPos = info && info.spec.position === 'learned' ? info.spec.maxPositions : null;
  const choices = contextChoices(maxPos, DECODE_STEPS);
  const [contexts, setContexts] = useState<number[]>([32, 128]);
  const [job, setJob] = useState<Job>({ state: 'idle' });
  const [last, setLast] = useState<SpeedReport | null>(null);
  const chosen = contexts.filter((c) => choices.includes(c));
  const busy = job.state === 'running';

  const start = async () => {
    if (!info || busy || chosen.length === 0) return;
    // The worker holds the workbench's own analyses back while it measures (workers/ort-queue.ts).
    setJob({ state: 'running', done: 0, total: 1 });
    try {
      const report = await client().measureSpeed(
        { drop: drops, contexts: chosen, decodeSteps: DECODE_STEPS, reps: REPS },
        (p) => setJob((j) => (j.state === 'running' ? { state: 'running', done: p.done, total: p.total } : j)),
      );
      setLast(report);
      setJob({ state: 'done', report });
    } catch (e) {
      const err = uiError(e);
      setJob(err.code === 'CANCELLED' ? { state: 'idle' } : { state: 'failed', error: err });
    }
  };

  const report = job.state === 'done' ? job.report : last;
  const rows = report ? speedRows(report) : [];

  return (
    <section className="panel speed-panel" aria-labelledby="speed-title" data-testid="speed-panel">
      <header className="panel-head">
        <div>
          <h2 id="speed-title">Speed</h2>
          <p className="panel-note">Full vs pruned, with KV cache, measured in this browser</p>
        </div>
      </header>
      {!info ? (
        <div className="placeholder">Load a model to measure its speed.</div>
      ) : (
        <>
          <div className="speed-controls">
            <fieldset className="speed-contexts" disabled={busy}>
              <legend>Context</legend>
              {choices.map((c) => (
                <label key={c} className={contexts.includes(c) ? 'on' : ''}>
                  <input
                    type="checkbox"
                    checked={contexts.includes(c)}
                    onChange={() =>
                      setContexts((cs) =>
                        cs.includes(c) ? cs.filter((x) => x !== c) : [...cs, c].sort((a, b) => a - b),
                      )
                    }
                  />
                  {c}
                </label>
              ))}
            </fieldset>
            {busy ? (
              <>
                {job.state === 'running' && (
                  <progress max={job.total} value={job.done} aria-label="measurement progress" />
                )}
                <button type="button" onClick={() => client().cancel('speed')} data-testid="speed-cancel">
                  Stop
                </button>
              </>
            ) : (
              <button
                type="button"
                className="primary"
                disabled={chosen.length === 0}
                onClick={() => void start()}
                data-testid="speed-start"
              >
                Measure
              </button>
            )}
          </div>
          {job.state === 'failed' && (
            <p className="xp-notice error" role="alert">
              {job.error.message}
            </p>
          )}
          {report && (
            <div className={`speed-table-wrap${busy ? ' stale' : ''}`}>
              <table className="speed-table" data-testid="speed-table">
                <thead>
                  <tr>
                    <th rowSpan={2}>context</th>
                    <th colSpan={3}>prefill tokens/s</th>
                    <th colSpan={3}>decode tokens/s</th>
                    <th colSpan={2}>KV cache</th>
                  </tr>
                  <tr>
                    <th>full</th>
                    <th>pruned</th>
                    <th />
                    <th>full</th>
                    <th>pruned</th>
                    <th />
                    <th>full</th>
                    <th>pruned</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={r.context} data-context={r.context}>
                      <td>{r.context}</td>
                      <td className="xp-num" data-testid="speed-prefill-full" data-value={r.full.prefillTokensPerS}>
                        {formatRate(r.full.prefillTokensPerS)}
                      </td>
                      <td className="xp-num" data-testid="speed-prefill-pruned" data-value={r.pruned.prefillTokensPerS}>
                        {formatRate(r.pruned.prefillTokensPerS)}
                      </td>
                      <td className="ratio">{formatRatio(r.pruned.prefillTokensPerS, r.full.prefillTokensPerS)}</td>
                      <td className="xp-num" data-testid="speed-decode-full" data-value={r.full.decodeTokensPerS}>
                        {formatRate(r.full.decodeTokensPerS)}
                      </td>
                      <td className="xp-num" data-testid="speed-decode-pruned" data-value={r.pruned.decodeTokensPerS}>
                        {formatRate(r.pruned.decodeTokensPerS)}
                      </td>
                      <td className="ratio">{formatRatio(r.pruned.decodeTokensPerS, r.full.decodeTokensPerS)}</td>
                      <td className="xp-num" data-testid="speed-kv-full" data-value={r.full.kvCacheBytes}>
                        {formatBytes(r.full.kvCacheBytes)}
                      </td>
                      <td className="xp-num" data-testid="speed-kv-pruned" data-value={r.pruned.kvCacheBytes}>
                        {formatBytes(r.pruned.kvCacheBytes)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <p className="hint" data-testid="speed-note">
            {report
              ? `Measured the pruned model (${droppedLabel(report.drop)}) against the full model: fp32 KV-cache graph on ${report.backend}, batch 1; ` +
                `prefill = one run over the context from an empty cache; decode = ${report.decodeSteps} single-token steps after it, each fed the previous step's cache; ` +
                `median of ${report.reps} runs after a warm-up, full and pruned interleaved, the workbench's own analyses held back meanwhile; context tokens from the ${report.tokens}. ` +
                `KV cache = bytes after the prefill, ${KV_FLOAT32_WHY} (${report.cachedLayers.full} vs ${report.cachedLayers.pruned} cached attention layers). ` +
                'Wall-clock in the worker: other tabs and programs share the CPU, so repeat before trusting a small difference.'
              : `Times the full and the pruned model (${droppedLabel(drops)}) on this browser's backend: prefill and decode tokens/s, and the KV cache.`}
          </p>
        </>
      )}
    </section>
  );
}
