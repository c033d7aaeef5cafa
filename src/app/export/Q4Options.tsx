/**
 * The Export panel's q4 part (issue 16): the quantizer (RTN, GPTQ, AWQ), the block size, the windows of
 * the current text it calibrates on and is measured on, the estimated time (from the engine's preview);
 * while running, calibration progress per sublayer and held-out scoring per window; after the export,
 * the q4 perplexity beside the fp32 one on the held-out windows.
 */
import type { Progress, Q4Preview, Q4Report } from '../../engine/api';
import { formatDuration, perplexityGap, QUANT_BLOCK_SIZES, type QuantChoice, QUANTIZERS } from './export-view';

const windowsInput = (v: string, old: number, min: number) => {
  const n = Math.floor(Number(v));
  return v !== '' && Number.isFinite(n) && n >= min ? Math.min(n, 256) : old;
};

export function Q4Options({
  value,
  onChange,
  disabled,
  preview,
}: {
  value: QuantChoice;
  onChange: (q: QuantChoice) => void;
  disabled: boolean;
  preview: Q4Preview | undefined;
}) {
  const calibrated = value.method !== 'rtn';
  return (
    <fieldset className="xp-formats xp-q4" disabled={disabled} data-testid="export-q4">
      <legend>q4 quantization</legend>
      <div className="xp-q4-row" role="radiogroup" aria-label="q4 quantizer">
        {QUANTIZERS.map((q) => (
          <label key={q.id} className={`xp-format${value.method === q.id ? ' on' : ''}`} title={q.note}>
            <input
              type="radio"
              name="xp-quant"
              value={q.id}
              checked={value.method === q.id}
              onChange={() => onChange({ ...value, method: q.id })}
              data-testid={`export-quant-${q.id}`}
            />
            <span className="xp-format-name">{q.label}</span>
            <span className="xp-format-note">{q.note}</span>
          </label>
        ))}
      </div>
      <div className="xp-q4-row">
        <label>
          Block size{' '}
          <select
            value={value.block}
            onChange={(e) => onChange({ ...value, block: Number(e.target.value) })}
            data-testid="export-block"
          >
            {QUANT_BLOCK_SIZES.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <label title="The first windows of the current text: the statistics GPTQ and AWQ are computed from">
          Calibration windows{' '}
          <input
            type="number"
            min={1}
            max={256}
            value={value.calibWindows}
            disabled={!calibrated}
            onChange={(e) => onChange({ ...value, calibWindows: windowsInput(e.target.value, value.calibWindows, 1) })}
            data-testid="export-calib-windows"
          />
        </label>
        <label title="The windows after the calibration ones: q4 and fp32 perplexity are measured there after the export (0: not measured)">
          Held-out windows{' '}
          <input
            type="number"
            min={0}
            max={256}
            value={value.heldoutWindows}
            onChange={(e) =>
              onChange({ ...value, heldoutWindows: windowsInput(e.target.value, value.heldoutWindows, 0) })
            }
            data-testid="export-heldout-windows"
          />
        </label>
      </div>
      {preview && (
        <p
          className="hint"
          data-testid="export-q4-estimate"
          data-quantize-ms={preview.estimateMs.quantize}
          data-score-ms={preview.estimateMs.score}
        >
          {calibrated
            ? `Calibrates on windows 1–${preview.calibWindows} of the current text (${preview.seqLen} tokens each); `
            : 'No calibration; '}
          {preview.unmeasured
            ? `no held-out perplexity: ${preview.unmeasured} `
            : preview.heldoutWindows === 0
              ? 'no held-out perplexity (0 windows). '
              : `q4 and fp32 perplexity measured afterwards on windows ${preview.calibWindows + 1}–${preview.calibWindows + preview.heldoutWindows}. `}
          Estimated time: {formatDuration(preview.estimateMs.quantize)} to{' '}
          {calibrated ? 'calibrate and quantize' : 'quantize'}
          {preview.estimateMs.score > 0 ? `, ${formatDuration(preview.estimateMs.score)} to measure` : ''} (
          {preview.estimateBasis}).
        </p>
      )}
    </fieldset>
  );
}

/** The running export's non-byte stages: calibration per sublayer, held-out scoring per window. */
export function Q4Progress({ progress }: { progress: Progress }) {
  const what = progress.stage === 'quantize' ? 'calibrating and quantizing' : 'measuring held-out perplexity';
  return (
    <span className="xp-progress-text" data-testid="export-q4-progress" data-stage={progress.stage}>
      {what}: {progress.done} of {progress.total} {progress.unit ?? ''}
    </span>
  );
}

export function Q4Result({ report }: { report: Q4Report }) {
  const h = report.heldout;
  return (
    <div className="xp-notice ok" data-testid="export-q4-result">
      q4 {report.method.toUpperCase()}, block {report.block}
      {report.calibWindows ? `, calibrated on ${report.calibWindows} windows (${report.calibTokens} tokens)` : ''} in{' '}
      {(report.ms.quantize / 1000).toFixed(1)} s.{' '}
      {h ? (
        <>
          Perplexity on {h.windows} held-out windows of {report.seqLen} tokens ({h.tokens} predicted tokens, not the
          calibration ones): q4{' '}
          <strong data-testid="export-ppl-q4" data-value={h.q4Perplexity}>
            {h.q4Perplexity.toFixed(4)}
          </strong>{' '}
          vs fp32{' '}
          <strong data-testid="export-ppl-fp32" data-value={h.fp32Perplexity}>
            {h.fp32Perplexity.toFixed(4)}
          </strong>{' '}
          ({perplexityGap(h.fp32Perplexity, h.q4Perplexity)}).
        </>
      ) : (
        report.note
      )}
    </div>
  );
}
