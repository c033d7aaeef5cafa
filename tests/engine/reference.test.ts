/**
 * The engine against the independent float64 reference (tests/reference) on every tiny model family,
 * on onnxruntime-node and onnxruntime-web's wasm backend: per-token NLL within 1e-5 relative, with and
 * without drops; every importance score within 1e-5 absolute; similarity, angular distance, drop-one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DropConfig } from '../../src/engine/api';
import { TINY_VARIANTS } from '../fixtures/tiny-models';
import { forward64 } from '../reference/forward64';
import { analyze64, dropOne64 } from '../reference/metrics64';
import { ENGINE_RUNTIMES, type Fixture, fixture, maxAbsDiff, maxRelDiff } from './setup';

const DROPS: DropConfig[] = [
  { attn: [], mlp: [] },
  { attn: [1], mlp: [] },
  { attn: [0], mlp: [1] },
  { attn: [1], mlp: [1] },
];

function refTokenNll(f: Fixture, drop: DropConfig): Float64Array {
  const per = f.seqLen - 1;
  const out = new Float64Array(f.windows.length * per);
  f.windows.forEach((ids, w) => {
    out.set(forward64(f.ref, ids, drop).nll, w * per);
  });
  return out;
}

describe.each(ENGINE_RUNTIMES)('engine on %s vs float64 reference', (rt) => {
  describe.each(TINY_VARIANTS)('%s', (variant) => {
    let f: Fixture;
    afterAll(async () => f?.engine.dispose());

    it('per-token NLL within 1e-5 relative, with and without drops', async () => {
      f = await fixture(variant, rt);
      for (const drop of DROPS) {
        const r = await f.engine.evaluateTokens(drop);
        const ref = refTokenNll(f, drop);
        expect(r.nll.length).toBe(ref.length);
        expect(maxRelDiff(r.nll, ref)).toBeLessThan(1e-5);
        expect(r.tokens).toBe(ref.length);
        const refPpl = Math.exp(ref.reduce((a, b) => a + b, 0) / ref.length);
        expect(Math.abs(r.perplexity - refPpl) / refPpl).toBeLessThan(1e-5);
      }
    });

    it('importance (both variants), block influence, similarity and angular distance within 1e-5', async () => {
      for (const drop of [DROPS[0], DROPS[2]]) {
        const a = await f.engine.analyze(drop);
        const ref = analyze64(f.ref, f.windows, drop);
        for (const k of ['attn', 'mlp', 'block', 'attnNoNorm', 'mlpNoNorm'] as const) {
          expect(maxAbsDiff(a.importance[k], ref.importance[k]), k).toBeLessThan(1e-5);
        }
        const L = f.ref.spec.numLayers;
        const refBlockSim = Array.from({ length: L + 1 }, (_, i) =>
          Array.from({ length: L + 1 }, (_, j) => ref.similarity[2 * i][2 * j]),
        );
        expect(maxAbsDiff(a.similarity.flat(), refBlockSim.flat())).toBeLessThan(1e-5);
        const refAngular = Array.from({ length: L }, (_, l) => Array.from({ length: L }, (_, n) => ref.angular[l][n]));
        expect(maxAbsDiff(a.angular.flat(), refAngular.flat())).toBeLessThan(1e-4); // arccos near 1 amplifies float32 rounding
        expect(Math.abs(a.eval.meanNll - ref.eval.meanNll) / ref.eval.meanNll).toBeLessThan(1e-5);
      }
    });

    it('drop-one dNLL for every kept sublayer matches the reference', async () => {
      const base = DROPS[1];
      const r = await f.engine.dropOne(base);
      const ref = dropOne64(f.ref, f.windows, base);
      expect(r.attn.map((v) => v ?? Number.NaN)).toHaveLength(ref.attn.length);
      const a = [...r.attn, ...r.mlp].map((v) => v ?? Number.NaN);
      const b = [...ref.attn, ...ref.mlp].map((v) => v ?? Number.NaN);
      expect(maxAbsDiff(a, b)).toBeLessThan(2e-5);
      expect(r.attn[1]).toBeNull();
    });
  });
});
