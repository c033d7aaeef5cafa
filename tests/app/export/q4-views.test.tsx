/**
 * The Export panel's q4 part, server-rendered (src/app/export/Q4Options.tsx): the choices, the estimate
 * the engine's preview gives, progress per sublayer, and the held-out perplexities side by side.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Q4Options, Q4Progress, Q4Result } from '../../../src/app/export/Q4Options';
import { DEFAULT_QUANT, formatDuration, perplexityGap } from '../../../src/app/export/export-view';
import type { Q4Preview, Q4Report } from '../../../src/engine/api';

const preview: Q4Preview = {
  method: 'gptq',
  block: 32,
  calibWindows: 4,
  heldoutWindows: 8,
  seqLen: 32,
  availableWindows: 2000,
  estimateMs: { quantize: 12_400, score: 900 },
  estimateBasis: 'times measured on the bundled model (bench/results/quant.json)',
};

describe('q4 options', () => {
  it('shows the three quantizers, the block sizes, both window counts and the estimate', () => {
    const html = renderToStaticMarkup(
      <Q4Options
        value={{ ...DEFAULT_QUANT, method: 'gptq', calibWindows: 4 }}
        onChange={() => {}}
        disabled={false}
        preview={preview}
      />,
    );
    for (const id of ['rtn', 'gptq', 'awq']) expect(html).toContain(`data-testid="export-quant-${id}"`);
    expect(html).toMatch(
      /<option value="32"[^>]*>32<\/option><option value="64">64<\/option><option value="128">128<\/option>/,
    );
    expect(html).toContain('value="4"'); // calibration windows
    expect(html).toContain('windows 1–4 of the current text (32 tokens each)');
    expect(html).toContain('windows 5–12');
    expect(html).toContain('≈ 12 s to calibrate and quantize, under 1 s to measure');
    expect(html).toContain('bench/results/quant.json');
  });

  it('RTN: no calibration; calibration windows disabled; why nothing will be measured', () => {
    const html = renderToStaticMarkup(
      <Q4Options
        value={DEFAULT_QUANT}
        onChange={() => {}}
        disabled={false}
        preview={{ ...preview, method: 'rtn', heldoutWindows: 0, unmeasured: 'The text has 3 windows.' }}
      />,
    );
    expect(html).toMatch(/<input type="number"[^>]*disabled=""[^>]*data-testid="export-calib-windows"/);
    expect(html).toContain('No calibration; no held-out perplexity: The text has 3 windows.');
  });

  it('progress per sublayer, and the perplexities after the export', () => {
    expect(
      renderToStaticMarkup(<Q4Progress progress={{ stage: 'quantize', done: 5, total: 23, unit: 'sublayers' }} />),
    ).toContain('calibrating and quantizing: 5 of 23 sublayers');
    const report: Q4Report = {
      method: 'gptq',
      block: 32,
      calibWindows: 4,
      calibTokens: 128,
      seqLen: 32,
      heldout: { windows: 8, tokens: 248, fp32Perplexity: 5.2565, q4Perplexity: 5.275 },
      ms: { quantize: 12_082, score: 2509 },
    };
    const html = renderToStaticMarkup(<Q4Result report={report} />);
    expect(html).toContain('GPTQ, block 32, calibrated on 4 windows (128 tokens)');
    expect(html).toContain('8 held-out windows of 32 tokens (248 predicted tokens');
    expect(html).toMatch(/data-testid="export-ppl-q4" data-value="5.275">5.2750</);
    expect(html).toMatch(/data-testid="export-ppl-fp32" data-value="5.2565">5.2565</);
    expect(html).toContain('(+0.35%)');
    expect(perplexityGap(5, 4.99)).toBe('−0.20%');
    expect(formatDuration(150_000)).toBe('≈ 3 min');
  });
});
