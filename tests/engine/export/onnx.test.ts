/**
 * The exported KV-cache ONNX graph on tiny random models of every family, on onnxruntime-node and
 * onnxruntime-web (wasm):
 *   - fp32: per-token NLL equals the live engine's (Engine.evaluateTokens) for the same drops;
 *   - greedy generation with the KV cache equals greedy generation by full recompute, 32 tokens;
 *   - fp16 / q8 / q4 stay close to fp32;
 *   - the transformers.js layout: input/output names and dims, cache only for kept attention layers
 *     under their original indices, no node and no weight of a dropped sublayer.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DropConfig } from '../../../src/engine/api';
import { EXPORT_FORMATS, buildKvGraph, greedyGenerate, keptAttention } from '../../../src/engine/export';
import { decodeModel } from '../../../src/engine/onnx/proto';
import { makeEngine } from '../setup';
import { TINY_DOCUMENTS, TINY_VARIANTS, type TinyVariant, loadTinyModel, tinyModel } from '../../fixtures/tiny-models';
import { RUNTIMES, measured, record } from '../../support/runtimes';
import { decoderOn, exportedNll, maxRel, mean } from './helpers';

const SEQ = 12;
const WINDOWS = 3;

/** A drop that exercises both kinds without emptying a small model. */
function dropsFor(L: number): DropConfig[] {
  return [
    { attn: [], mlp: [] },
    { attn: [L - 1], mlp: [0] },
    { attn: Array.from({ length: L }, (_, l) => l), mlp: [] }, // no attention at all: no cache
  ];
}

afterAll(() => {
  for (const [k, v] of [...measured].sort()) if (k.startsWith('export')) console.log(`${k}: ${v.toExponential(2)}`);
});

describe.each(RUNTIMES)('exported fp32 graph = live engine on $name', (rt) => {
  const engineRt = rt.ep === 'cpu' ? 'onnxruntime-node' : 'onnxruntime-web wasm';
  for (const variant of TINY_VARIANTS) {
    it(variant, async () => {
      const m = await loadTinyModel(variant);
      const engine = makeEngine(engineRt);
      const tiny = tinyModel(variant);
      await engine.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
      await engine.setText([...TINY_DOCUMENTS], { seqLen: SEQ, windows: WINDOWS });
      const ids = engine.windowIds as Int32Array;
      for (const drop of dropsFor(m.spec.numLayers)) {
        const live = (await engine.evaluateTokens(drop)).nll;
        const dec = await decoderOn(rt, buildKvGraph(m.spec, m.weights, drop, 'fp32').build(), m.spec, drop);
        const exp = await exportedNll(rt, dec, ids, SEQ);
        await dec.release();
        const rel = record(`export fp32 nll rel ${rt.name}`, maxRel(exp, live, 1));
        expect(rel, `${variant} ${JSON.stringify(drop)}`).toBeLessThan(1e-5);
        expect(Math.abs(mean(exp) - mean(live)) / mean(live)).toBeLessThan(1e-6);
      }
      await engine.dispose();
    });
  }
});

describe.each(RUNTIMES)('KV cache = full recompute on $name', (rt) => {
  for (const variant of TINY_VARIANTS) {
    it(`${variant}: 32 greedy tokens, logits`, async () => {
      const m = await loadTinyModel(variant);
      const L = m.spec.numLayers;
      const drop = { attn: [0], mlp: [L - 1] };
      const dec = await decoderOn(rt, buildKvGraph(m.spec, m.weights, drop, 'fp32').build(), m.spec, drop);
      const prompt = m.tokenizer.encode('The whale swam');
      const rs = m.spec.ropeScaling;
      if (rs?.type === 'longrope') {
        // LongRoPE switches to its long factors once the sequence passes original_max_position_embeddings
        // (8 here), for the new tokens only: the keys already cached keep their short-factor rotation, as
        // in transformers. So KV-cached decoding equals full recompute up to 8 tokens, and not past them.
        const n = rs.originalMaxPositions;
        const seq = [...prompt, ...(await greedyGenerate(dec, prompt, n, { useCache: true }))].slice(0, n + 4);
        const piecewise = async (upTo: number) => {
          let cache = dec.emptyCache();
          const parts: Float32Array[] = [];
          for (let a = 0; a < upTo; a += 3) {
            const r = await dec.forward(seq.slice(a, Math.min(a + 3, upTo)), cache);
            cache = r.cache;
            parts.push(r.logits);
          }
          return Float32Array.from(parts.flatMap((p) => Array.from(p)));
        };
        const within = (await dec.forward(seq.slice(0, n), dec.emptyCache())).logits;
        expect(maxRel(await piecewise(n), within, 1)).toBeLessThan(1e-5);
        const past = (await dec.forward(seq.slice(0, n + 4), dec.emptyCache())).logits;
        expect(maxRel(await piecewise(n + 4), past, 1)).toBeGreaterThan(1e-3);
        await dec.release();
        return;
      }
      const cached = await greedyGenerate(dec, prompt, 32, { useCache: true });
      const full = await greedyGenerate(dec, prompt, 32, { useCache: false });
      expect(cached).toEqual(full);
      expect(cached).toHaveLength(32);
      // logits of a continuation fed in pieces (prefill 5, then 3, then 1 by 1) = all at once
      const seq = [...prompt, ...cached].slice(0, 12);
      const all = (await dec.forward(seq, dec.emptyCache())).logits;
      let cache = dec.emptyCache();
      const pieces: Float32Array[] = [];
      for (const [a, b] of [
        [0, 5],
        [5, 8],
        [8, 9],
        [9, 10],
        [10, 12],
      ]) {
        const r = await dec.forward(seq.slice(a, b), cache);
        cache = r.cache;
        pieces.push(r.logits);
      }
      expect(cache.length).toBe(12);
      const stitched = Float32Array.from(pieces.flatMap((p) => Array.from(p)));
      expect(record(`export kv-vs-full logits ${rt.name}`, maxRel(stitched, all, 1))).toBeLessThan(1e-5);
      await dec.release();
    });
  }
});

describe('quantized formats stay close to fp32 (onnxruntime-node)', () => {
  const rt = RUNTIMES[0];
  for (const variant of TINY_VARIANTS) {
    it(variant, async () => {
      const m = await loadTinyModel(variant);
      const drop = { attn: [m.spec.numLayers - 1], mlp: [] };
      const engine = makeEngine('onnxruntime-node');
      await engine.loadModel({ kind: 'local', name: variant }, tinyModel(variant).files);
      await engine.setText([...TINY_DOCUMENTS], { seqLen: SEQ, windows: WINDOWS });
      const ids = engine.windowIds as Int32Array;
      await engine.dispose();
      const ppl: Record<string, number> = {};
      for (const f of EXPORT_FORMATS) {
        const dec = await decoderOn(rt, buildKvGraph(m.spec, m.weights, drop, f).build(), m.spec, drop);
        ppl[f] = Math.exp(mean(await exportedNll(rt, dec, ids, SEQ)));
        await dec.release();
      }
      // random tiny models: fp16 rounding is tiny, 8-bit small, 4-bit larger (d = 24..32)
      expect(Math.abs(ppl.fp16 / ppl.fp32 - 1)).toBeLessThan(1e-3);
      expect(Math.abs(ppl.q8 / ppl.fp32 - 1)).toBeLessThan(0.02);
      expect(Math.abs(ppl.q4 / ppl.fp32 - 1)).toBeLessThan(0.25);
      console.log(`tiny ${variant} perplexity`, JSON.stringify(ppl));
    });
  }
});

describe('graph layout (transformers.js)', () => {
  it.each(TINY_VARIANTS)('%s: names, dims, only kept sublayers', async (variant: TinyVariant) => {
    const m = await loadTinyModel(variant);
    const L = m.spec.numLayers;
    const drop = { attn: [L - 1], mlp: [0] };
    for (const f of EXPORT_FORMATS) {
      const model = decodeModel(buildKvGraph(m.spec, m.weights, drop, f).build());
      const g = model.graph;
      const kept = keptAttention(m.spec, drop);
      const Hkv = m.spec.numKvHeads;
      const hd = m.spec.headDim;
      expect(g.inputs.map((i) => i.name)).toEqual([
        'input_ids',
        'attention_mask',
        'position_ids',
        ...kept.flatMap((l) => [`past_key_values.${l}.key`, `past_key_values.${l}.value`]),
      ]);
      expect(g.outputs.map((o) => o.name)).toEqual([
        'logits',
        ...kept.flatMap((l) => [`present.${l}.key`, `present.${l}.value`]),
      ]);
      const dims = (name: string, list: typeof g.inputs) => list.find((v) => v.name === name)?.shape;
      expect(dims('input_ids', g.inputs)).toEqual(['batch_size', 'sequence_length']);
      expect(dims('attention_mask', g.inputs)).toEqual(['batch_size', 'total_sequence_length']);
      expect(dims(`past_key_values.${kept[0]}.key`, g.inputs)).toEqual(['batch_size', Hkv, 'past_sequence_length', hd]);
      expect(dims(`present.${kept[0]}.value`, g.outputs)).toEqual(['batch_size', Hkv, 'total_sequence_length', hd]);
      expect(dims('logits', g.outputs)).toEqual(['batch_size', 'sequence_length', m.spec.vocabSize]);
      const names = [...g.initializers.map((t) => t.name), ...g.nodes.map((n) => n.name)];
      expect(names.filter((n) => n.includes(`layers.${L - 1}.attn`))).toEqual([]);
      expect(names.filter((n) => n.includes('layers.0.mlp'))).toEqual([]);
      expect(names.some((n) => n.includes('layers.0.attn'))).toBe(true);
      if (f === 'q4' || f === 'q8') {
        const nbits = g.nodes.filter((n) => n.opType === 'MatMulNBits');
        expect(nbits.length).toBeGreaterThan(0);
        expect(g.nodes.filter((n) => n.opType === 'MatMul' && !n.name.includes('attn/'))).toEqual([]);
        const bits = new Set(nbits.filter((n) => !n.name.startsWith('lm_head')).map((n) => n.attributes.bits.i));
        expect([...bits]).toEqual([f === 'q4' ? 4 : 8]);
        for (const n of nbits) expect(n.attributes.block_size.i).toBe(32);
        expect(nbits.every((n) => n.inputs.length === 3)).toBe(true); // symmetric: no zero points
      }
    }
  });
});
