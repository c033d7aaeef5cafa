/**
 * Export the current drop configuration as one zip download: a transformers.js model folder (ONNX with a
 * KV cache in the chosen formats) that is also an LLM-Drop folder (config.json with the drop lists, the
 * pruned safetensors checkpoint). The size is estimated before anything is built; the export runs in
 * the worker and streams the archive to the page in batches; the download starts only when the last
 * byte is there, so a cancelled or failed export leaves nothing behind.
 */
import { useEffect, useRef, useState } from 'react';
import type { DropConfig, ExportFormat, ExportPreview, ExportSummary, Progress } from '../../engine/api';
import { describeDrops, dropKey } from '../../state/drops';
import { uiError, type UiError } from '../../state/store';
import { useWorkbench } from '../context';
import { formatBytes, formatInt } from '../format';
import { startDownload } from '../chart-export/dom-export';
import { useExportClient } from './export-client';
import {
  DEFAULT_FORMATS,
  exportNotices,
  FORMATS,
  fileGroups,
  progressFraction,
  q4Request,
  type QuantChoice,
  DEFAULT_QUANT,
  toggleFormat,
  zipFileName,
} from './export-view';
import { Q4Options, Q4Progress, Q4Result } from './Q4Options';
import './export.css';

type Job =
  | { state: 'idle' }
  | { state: 'running'; drop: DropConfig; progress: Progress | null; received: number }
  | { state: 'done'; summary: ExportSummary; fileName: string; url: string }
  | { state: 'cancelled' }
  | { state: 'failed'; error: UiError };

export function ExportPanel() {
  const client = useExportClient();
  const info = useWorkbench((s) => (s.model.status === 'ready' ? s.model.info : null));
  const generation = useWorkbench((s) => s.model.generation);
  const drops = useWorkbench((s) => s.drops.current);
  const [formats, setFormats] = useState<ExportFormat[]>(DEFAULT_FORMATS);
  const [checkpoint, setCheckpoint] = useState(true);
  const [quant, setQuant] = useState<QuantChoice>(DEFAULT_QUANT);
  const q4 = q4Request(formats, quant);
  const [preview, setPreview] = useState<{ key: string; value: ExportPreview | null; error: UiError | null } | null>(
    null,
  );
  const [job, setJob] = useState<Job>({ state: 'idle' });
  const urlRef = useRef<string | null>(null);
  // The engine's current text (the q4 export calibrates on it): the results' context names it.
  const textKey = useWorkbench((s) => s.results.context);
  const key = `${generation}|${dropKey(drops)}|${formats.join(',')}|${checkpoint}|${JSON.stringify(q4 ?? null)}|${textKey}`;

  useEffect(() => {
    if (!info) return;
    let live = true;
    const q = q4Request(formats, quant);
    client()
      .previewExport({ drop: drops, formats, checkpoint, ...(q ? { q4: q } : {}) })
      .then(
        (value) => live && setPreview({ key, value, error: null }),
        (e) => live && setPreview({ key, value: null, error: uiError(e) }),
      );
    return () => {
      live = false;
    };
  }, [client, info, key, drops, formats, checkpoint, quant]);

  useEffect(
    () => () => {
      if (urlRef.current) URL.revokeObjectURL(urlRef.current);
    },
    [],
  );

  if (!info) {
    return (
      <section className="panel xp-panel" aria-labelledby="export-title" data-testid="export-panel">
        <header className="panel-head">
          <h2 id="export-title">Export</h2>
        </header>
        <div className="placeholder">Load a model to export it.</div>
      </section>
    );
  }

  const current = preview?.key === key ? preview : null;
  const p = current?.value ?? null;
  const notices = p ? exportNotices(p) : [];
  const blocked = !p || notices.some((n) => n.kind === 'error');
  const running = job.state === 'running';

  const start = async () => {
    if (!p || running) return;
    const drop = p.drop;
    const fileName = zipFileName(p.modelName, drop);
    const parts: Uint8Array[] = [];
    let received = 0;
    setJob({ state: 'running', drop, progress: null, received: 0 });
    try {
      const summary = await client().exportZip(
        { drop, formats: p.formats, checkpoint, ...(q4 ? { q4 } : {}) },
        (chunks) => {
          for (const c of chunks) {
            parts.push(c);
            received += c.byteLength;
          }
          setJob((j) => (j.state === 'running' ? { ...j, received } : j));
        },
        (progress) => setJob((j) => (j.state === 'running' ? { ...j, progress } : j)),
      );
      const blob = new Blob(parts as BlobPart[], { type: 'application/zip' });
      parts.length = 0;
      if (urlRef.current) URL.revokeObjectURL(urlRef.current);
      const url = startDownload(fileName, blob);
      urlRef.current = url;
      setJob({ state: 'done', summary, fileName, url });
    } catch (e) {
      parts.length = 0;
      const err = uiError(e);
      setJob(err.code === 'CANCELLED' ? { state: 'cancelled' } : { state: 'failed', error: err });
    }
  };

  const frac = running ? progressFraction(job.progress) : 0;

  return (
    <section className="panel xp-panel" aria-labelledby="export-title" data-testid="export-panel">
      <header className="panel-head">
        <div>
          <h2 id="export-title">Export</h2>
          <p className="panel-note">
            transformers.js model folder + LLM-Drop config + pruned checkpoint, as one zip · {describeDrops(drops)}
          </p>
        </div>
      </header>

      <fieldset className="xp-formats" disabled={running}>
        <legend>ONNX weights (with KV cache)</legend>
        {FORMATS.map((f) => {
          const size = p?.files.find((x) => x.path === f.file)?.bytes;
          return (
            <label
              key={f.id}
              className={`xp-format${formats.includes(f.id) ? ' on' : ''}`}
              title={f.note}
              data-format={f.id}
            >
              <input
                type="checkbox"
                checked={formats.includes(f.id)}
                onChange={() => setFormats((fs) => toggleFormat(fs, f.id))}
              />
              <span className="xp-format-name">{f.label}</span>
              <span className="xp-format-size" data-testid={`export-size-${f.id}`}>
                {formats.includes(f.id) && size !== undefined ? `≈ ${formatBytes(size)}` : ''}
              </span>
              <span className="xp-format-note">{f.note}</span>
            </label>
          );
        })}
        <label className="xp-check">
          <input type="checkbox" checked={checkpoint} onChange={(e) => setCheckpoint(e.target.checked)} />
          Pruned checkpoint (model.safetensors, kept sublayers only, original names)
        </label>
      </fieldset>

      {formats.includes('q4') && <Q4Options value={quant} onChange={setQuant} disabled={running} preview={p?.q4} />}

      {current?.error && (
        <p className="xp-notice error" role="alert" data-testid="export-error" data-code={current.error.code}>
          {current.error.message}
        </p>
      )}
      {p && (
        <div className="xp-estimate" data-testid="export-estimate" data-total={p.totalBytes} data-zip={p.zipBytes}>
          <table>
            <tbody>
              {fileGroups(p).map((g) => (
                <tr key={g.label}>
                  <td>{g.label}</td>
                  <td className="xp-num">{formatBytes(g.bytes)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <td>zip download · {p.files.length} files</td>
                <td className="xp-num" data-testid="export-total">
                  ≈ {formatBytes(p.zipBytes)}
                </td>
              </tr>
            </tfoot>
          </table>
          <p className="hint">
            KV cache of the pruned model {formatBytes(p.kvBytesPerToken.pruned)}/token (full{' '}
            {formatBytes(p.kvBytesPerToken.full)}), float32 as exported (the Savings panel counts fp16, half, as a
            deployment usually stores it). ONNX and checkpoint sizes are estimates from the weights' shapes.
          </p>
        </div>
      )}
      {notices.map((n) => (
        <p
          key={n.id}
          className={`xp-notice ${n.kind}`}
          data-testid="export-notice"
          data-notice={n.id}
          role={n.kind === 'error' ? 'alert' : undefined}
        >
          {n.text}
        </p>
      ))}

      <div className="xp-actions">
        {running ? (
          <>
            <progress max={1} value={frac} aria-label="export progress" data-testid="export-progress" />
            {job.progress && job.progress.stage !== 'export' ? (
              <Q4Progress progress={job.progress} />
            ) : (
              <span className="xp-progress-text">
                {Math.round(frac * 100)}% · {formatBytes(job.progress?.done ?? 0)} of{' '}
                {formatBytes(job.progress?.total ?? p?.totalBytes ?? 0)}
              </span>
            )}
            <button type="button" onClick={() => client().cancel('export')} data-testid="export-cancel">
              Cancel
            </button>
          </>
        ) : (
          <button
            type="button"
            className="primary"
            disabled={blocked}
            onClick={() => void start()}
            data-testid="export-start"
          >
            Export zip
          </button>
        )}
      </div>
      <div aria-live="polite" data-testid="export-status" data-state={job.state}>
        {job.state === 'done' && (
          <p className="xp-notice ok">
            Downloaded{' '}
            <a href={job.url} download={job.fileName}>
              {job.fileName}
            </a>
            : {formatBytes(job.summary.zipBytes)}, {job.summary.files.length} files (
            {job.summary.formats.join(', ') || 'no ONNX'}) in {(job.summary.ms / 1000).toFixed(1)} s. Load it in
            transformers.js with{' '}
            <code>
              pipeline('text-generation', dir, {'{'} dtype: '
              {job.summary.formats.includes('q4') ? 'q4' : (job.summary.formats[0] ?? 'fp32')}' {'}'})
            </code>
            .
          </p>
        )}
        {job.state === 'done' && job.summary.q4 && <Q4Result report={job.summary.q4} />}
        {job.state === 'cancelled' && <p className="xp-notice info">Export cancelled: nothing was downloaded.</p>}
        {job.state === 'failed' && (
          <p className="xp-notice error" role="alert">
            Export failed: {job.error.message}
          </p>
        )}
        {running && (
          <p className="hint">
            Exporting {describeDrops(job.drop)} · {formatInt(job.received)} bytes of the zip received
          </p>
        )}
      </div>
    </section>
  );
}
