/**
 * Admission before download (issue 13 item 4): the per-precision estimate from a spec alone, against
 * budgets, wasm32's 4 GiB, WebGPU buffer limits and shader-f16; hand-computed weight bytes for a
 * Llama-3.2-1B config; the choice of precision and its errors.
 */
import { describe, expect, it } from 'vitest';
import { ModelTooLargeError, SettingsError } from '../../../src/engine/errors';
import { admit, choosePrecision, estimatePrecision, GiB, WASM_EXTRA } from '../../../src/engine/model/admission';
import { specFromConfig } from '../../../src/engine/model/families';
import { popularConfig } from '../../../scripts/popular-models';

const llama1b = specFromConfig({ ...popularConfig('Llama-3.2-1B'), eos_token_id: 128001 });

describe('admission', () => {
  it('weights at each precision, by hand for Llama-3.2-1B (the head holds the table; no embedding session)', () => {
    const d = 2048;
    const layer = 2 * d + d * d * 2 + 2 * (512 * d) + 3 * 8192 * d; // norms, q+o, k+v, gate/up/down
    const table = 128256 * d;
    const want = {
      fp32: 16 * layer * 4 + table * 4,
      fp16: 16 * layer * 2 + table * 2,
      q8: 16 * layer * 1.125 + table * 1.125,
      q4: 16 * layer * 0.625 + table * 1.125,
    };
    for (const p of ['fp32', 'fp16', 'q8', 'q4'] as const)
      expect(estimatePrecision(llama1b, p).weightBytes).toBeCloseTo(want[p], -3);
  });

  it('peaks fall with the precision, and a budget picks the most precise that fits', () => {
    const a = admit(llama1b);
    const peaks = a.estimates.map((e) => e.peakBytes);
    expect(peaks).toEqual([...peaks].sort((x, y) => y - x));
    expect(a.best).toBe('fp32');
    const q8 = peaks[2];
    const b = admit(llama1b, { budgetBytes: q8 + 1 });
    expect(b.fitting).toEqual(['q8', 'q4']);
    expect(choosePrecision(b, undefined)).toBe('q8');
    expect(() => choosePrecision(b, 'fp16', 'Llama')).toThrow(ModelTooLargeError);
    expect(() => choosePrecision(b, 'fp16', 'Llama')).toThrow(/at fp16.*most precise setting that fits is q8/);
  });

  it("wasm32's 4 GiB caps any budget; WebGPU's buffer limits refuse a big table", () => {
    const a = admit(llama1b, { wasm32: true, budgetBytes: 64 * GiB });
    expect(a.estimates[0].over.join()).toContain("wasm32's 4 GiB");
    expect(a.fitting).not.toContain('fp32');
    const g = admit(llama1b, { maxBufferSize: 16 * 2 ** 20 }); // one 8192 x 2048 MLP matrix is 64 MiB as float32, 10 MiB at q4; the attention scores of a batch 64 MiB
    expect(g.estimates.every((e) => e.over.some((o) => o.includes('largest buffer')))).toBe(true);
    expect(() => choosePrecision(g, undefined, 'Llama')).toThrow(/fit at no weight precision/);
  });

  it('on wasm (onnxruntime-web) fp32 weights count twice and every precision adds WASM_EXTRA, as Chromium measured', () => {
    for (const p of ['fp32', 'fp16', 'q8', 'q4'] as const) {
      const native = estimatePrecision(llama1b, p);
      const wasm = estimatePrecision(llama1b, p, {}, { wasm: true });
      expect(wasm.weightBytes).toBe(native.weightBytes);
      expect(wasm.peakBytes - native.peakBytes).toBe(WASM_EXTRA + (p === 'fp32' ? native.weightBytes : 0));
    }
    // admit applies it with wasm32: a budget just over the native fp16 peak no longer admits fp16 on wasm.
    const fp16 = estimatePrecision(llama1b, 'fp16').peakBytes;
    expect(admit(llama1b, { budgetBytes: fp16 + 1 }).fitting).toContain('fp16');
    expect(admit(llama1b, { budgetBytes: fp16 + 1, wasm32: true }).fitting).not.toContain('fp16');
  });

  it('fp16 without shader-f16 is refused with the reason and the next best precision', () => {
    const a = admit(llama1b, { f16: false });
    expect(a.fitting).toEqual(['fp32', 'q8', 'q4']);
    expect(() => choosePrecision(a, 'fp16')).toThrow(SettingsError);
    expect(() => choosePrecision(a, 'fp16')).toThrow(/shader-f16.*next best precision that fits is fp32/);
  });

  it('more windows need more memory (the cached states), never less', () => {
    const small = estimatePrecision(llama1b, 'q4', { windows: 8, seqLen: 256 }).peakBytes;
    const big = estimatePrecision(llama1b, 'q4', { windows: 64, seqLen: 1024 }).peakBytes;
    expect(big).toBeGreaterThan(small + (2 * 16 + 1) * 56 * 1024 * 2048 * 4);
  });
});
