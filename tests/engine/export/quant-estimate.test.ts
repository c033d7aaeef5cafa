/**
 * The q4 time estimate (src/engine/export/quant-estimate.ts) stays what bench/results/quant.json
 * measured: its reference times are that file's block-32 rows, its reference sizes the bundled model's;
 * and it scales as it says (tokens x parameters, the sum of N K^2, drops).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderFiles } from '../../../src/cli/node-files';
import {
  estimateQuantTime,
  linearSizes,
  QUANT_TIME_REFERENCE,
  REF_SIZES,
} from '../../../src/engine/export/quant-estimate';
import { loadModelFromFiles } from '../../../src/engine/model/load';

const ROOT = join(__dirname, '../../..');
const bench = JSON.parse(readFileSync(join(ROOT, 'bench/results/quant.json'), 'utf8'));
const row = (quant: string) =>
  bench.rows.find((r: { block: number; quant: string }) => r.block === 32 && r.quant === quant);

describe('q4 time estimate', () => {
  it('holds bench/results/quant.json’s block-32 times and the bundled model’s sizes', async () => {
    const model = await loadModelFromFiles(folderFiles(join(ROOT, 'public/models/droplab-byte-12l')));
    expect(linearSizes(model.spec, { attn: [], mlp: [] })).toEqual(REF_SIZES);
    const r = QUANT_TIME_REFERENCE;
    expect(r.calibrationTokens).toBe(bench.calibrationWindows * bench.seqLen);
    expect(r.heldoutTokens).toBe(bench.heldoutWindows * bench.seqLen);
    expect(r.scoreMs).toBe(bench.fp32ScoreMs + row('rtn').scoreMs);
    expect(r.methods.rtn.quantizeMs).toBe(row('rtn').planMs);
    for (const m of ['gptq', 'awq'] as const) {
      const t = row(m).timingsMs;
      expect(r.methods[m].calibrationMs).toBe(t.calibrationMs + t.graphMs);
      expect(r.methods[m].quantizeMs).toBe(t.hessianMs + t.columnLoopMs + t.awqSearchMs + t.quantizeMs);
    }
  });

  it('scales with tokens, parameters and drops; the bundled model at the reference windows gives the reference', async () => {
    const model = await loadModelFromFiles(folderFiles(join(ROOT, 'public/models/droplab-byte-12l')));
    const spec = model.spec;
    const none = { attn: [], mlp: [] };
    const r = QUANT_TIME_REFERENCE;
    const g = estimateQuantTime(spec, none, 'gptq', r.calibrationTokens, r.heldoutTokens);
    expect(g.quantizeMs).toBeCloseTo(r.methods.gptq.calibrationMs + r.methods.gptq.quantizeMs, 6);
    expect(g.scoreMs).toBeCloseTo(r.scoreMs, 6);
    const half = estimateQuantTime(spec, none, 'gptq', r.calibrationTokens / 2, r.heldoutTokens / 2);
    expect(half.quantizeMs).toBeCloseTo(r.methods.gptq.calibrationMs / 2 + r.methods.gptq.quantizeMs, 6);
    expect(half.scoreMs).toBeCloseTo(r.scoreMs / 2, 6);
    const dropped = estimateQuantTime(spec, { attn: [0, 1, 2], mlp: [5] }, 'awq', r.calibrationTokens, 0);
    expect(dropped.quantizeMs).toBeLessThan(r.methods.awq.calibrationMs + r.methods.awq.quantizeMs);
    expect(dropped.scoreMs).toBe(0);
    // A model twice as wide: 4x the parameters, 8x the sum of N K^2.
    const wide = { ...spec, hiddenSize: 256, intermediateSize: 768, headDim: 64 };
    const w = estimateQuantTime(wide, none, 'gptq', r.calibrationTokens, r.heldoutTokens);
    expect(w.quantizeMs).toBeCloseTo(4 * r.methods.gptq.calibrationMs + 8 * r.methods.gptq.quantizeMs, 3);
    expect(g.basis).toMatch(/bench\/results\/quant\.json/);
  });
});
