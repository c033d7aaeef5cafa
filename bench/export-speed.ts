/**
 * Speed of the exported (pruned) model with its KV cache: `npm run bench:speed [-- options]`, writes
 * bench/results/speed.json.
 *
 * For each model (the bundled trained model when present, else the tiny fixture; optionally a random
 * llama of SmolLM2-135M's shape) and three configurations measured in the same run,
 *   full         nothing dropped;
 *   attn-25%     the 25% least important attention layers dropped (LLM-Drop's one-shot attention
 *                ranking, computed by the engine on the calibration text; fixed evenly spaced layers for
 *                random-weight models);
 *   attn-50%     50% of the attention layers dropped, likewise;
 * and each context length 32, 64, 128, 256, 512:
 *   prefill tokens/s   context tokens in one run from an empty cache (fastest of reps, after a warm-up);
 *   decode tokens/s    32 single-token steps after a prefill of `context` tokens, each step fed the
 *                      previous step's present.* as past_key_values.* (fastest of reps);
 *   KV-cache bytes     of the cache after the prefill (float32, batch 1): 2 x kept attention layers x
 *                      Hkv x context x hd x 4.
 * Every configuration is checked first: 16 greedy tokens with the cache fed back = 16 by full recompute,
 * and the last step's logits agree. LLM-Drop's own speed script does not feed the cache back, which
 * hides the attention-drop gain; here the cache of a dropped attention layer does not exist at all.
 *
 * Positions past the bundled model's 256 (contexts 512) are beyond what it was trained on: the
 * export computes RoPE in the graph, so speed is measured all the same (quality is not the point there).
 *
 * Options: --models bundled|tiny|smol[,..]  --formats fp32,q4  --runtimes node,wasm  --threads N
 *          --reps N  --contexts 32,64,...  --smol-layers N  --out FILE
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DropConfig } from '../src/engine/api';
import { splitDocuments } from '../src/engine/data';
import { Engine } from '../src/engine/engine';
import {
  argmax,
  buildKvGraph,
  type ExportFormat,
  greedyGenerate,
  type KvCache,
  KvDecoder,
  kvBytesPerToken,
  kvLayout,
} from '../src/engine/export';
import { loadModelFromFiles } from '../src/engine/model/load';
import { exportedNll, mean } from '../tests/engine/export/helpers';
import { type BenchModel, bundledBench, smolShapeBench, tinyBench } from './models';
import { type BenchRuntime, nodeRuntime, ORT_VERSIONS, wasmRuntime } from './runtimes';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DECODE_STEPS = 32;
const FRACTIONS = [
  ['attn-25%', 0.25],
  ['attn-50%', 0.5],
] as const;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function disposeCache(c: KvCache) {
  for (const t of Object.values(c.tensors)) t.dispose();
}

interface ContextResult {
  context: number;
  prefillTokensPerS: number;
  decodeTokensPerS: number;
  prefillMs: number;
  decodeMsPerToken: number;
  prefillTokensPerSMedian: number;
  decodeTokensPerSMedian: number;
  kvCacheBytes: number;
}

/** One prefill of `context` tokens and DECODE_STEPS single-token steps on the fed-back cache. */
async function once(dec: KvDecoder, prompt: number[]): Promise<{ prefill: number; decode: number; kvBytes: number }> {
  const t0 = performance.now();
  const p = await dec.forward(prompt, dec.emptyCache(), { lastOnly: true });
  const t1 = performance.now();
  const kvBytes = KvDecoder.cacheBytes(p.cache);
  let cache = p.cache;
  let next = argmax(p.logits);
  const t2 = performance.now();
  for (let s = 0; s < DECODE_STEPS; s++) {
    const o = await dec.forward([next], cache, { lastOnly: true }); // the step's past = the last step's present
    cache = o.cache;
    next = argmax(o.logits);
  }
  const t3 = performance.now();
  disposeCache(cache);
  return { prefill: t1 - t0, decode: t3 - t2, kvBytes };
}

/**
 * Timings of several decoders at one context, interleaved (rep r of every decoder, then rep r + 1),
 * so that load changes on a shared machine hit every configuration alike. The fastest rep after one
 * warm-up is the figure (on a shared machine it is the one least disturbed); medians are kept too.
 */
async function measure(decs: KvDecoder[], tokens: number[], context: number, reps: number): Promise<ContextResult[]> {
  const prompt = tokens.slice(0, context);
  const runs = decs.map(() => ({ prefill: [] as number[], decode: [] as number[], kvBytes: 0 }));
  for (let r = 0; r <= reps; r++) {
    for (let i = 0; i < decs.length; i++) {
      const x = await once(decs[i], prompt);
      runs[i].kvBytes = x.kvBytes;
      if (r === 0) continue; // warm-up
      runs[i].prefill.push(x.prefill);
      runs[i].decode.push(x.decode);
    }
  }
  return runs.map((x) => {
    const pf = Math.min(...x.prefill);
    const dc = Math.min(...x.decode);
    return {
      context,
      prefillTokensPerS: (context / pf) * 1000,
      decodeTokensPerS: (DECODE_STEPS / dc) * 1000,
      prefillMs: pf,
      decodeMsPerToken: dc / DECODE_STEPS,
      prefillTokensPerSMedian: (context / median(x.prefill)) * 1000,
      decodeTokensPerSMedian: (DECODE_STEPS / median(x.decode)) * 1000,
      kvCacheBytes: x.kvBytes,
    };
  });
}

/**
 * The cache is fed back correctly: the logits after 15 cached single-token steps = those of one full
 * recompute of the same sequence (to 1e-4 of the logit scale for float formats; q8/q4 run their
 * activations through int8 at accuracy_level 4, with different kernels for 1 row and for many, so
 * 5e-2 there), and 16 greedy tokens with the cache = 16 by full recompute.
 */
async function checkCache(
  dec: KvDecoder,
  prompt: number[],
  format: ExportFormat,
): Promise<{ ok: boolean; greedyEqual: boolean; maxAbsLogitDiff: number; relToLogitScale: number }> {
  const cached = await greedyGenerate(dec, prompt, 16);
  const full = await greedyGenerate(dec, prompt, 16, { useCache: false });
  const seq = [...prompt, ...cached.slice(0, 15)];
  let o = await dec.forward(prompt, dec.emptyCache(), { lastOnly: true });
  for (const t of cached.slice(0, 15)) o = await dec.forward([t], o.cache, { lastOnly: true });
  const last = o.logits;
  disposeCache(o.cache);
  const ref = await dec.forward(seq, dec.emptyCache(), { lastOnly: true });
  disposeCache(ref.cache);
  let d = 0;
  let scale = 0;
  for (let i = 0; i < last.length; i++) {
    d = Math.max(d, Math.abs(last[i] - ref.logits[i]));
    scale = Math.max(scale, Math.abs(ref.logits[i]));
  }
  const rel = d / Math.max(scale, 1e-6);
  const greedyEqual = cached.join() === full.join();
  const quantized = format === 'q8' || format === 'q4';
  return {
    ok: (greedyEqual || quantized) && rel < (quantized ? 5e-2 : 1e-4),
    greedyEqual,
    maxAbsLogitDiff: d,
    relToLogitScale: rel,
  };
}

/** n distinct layers spread evenly over 0..L-1, e.g. L=12, n=3 -> [2, 6, 10]; L=3, n=2 -> [0, 2]. */
function evenly(L: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * L) / n));
}

async function main() {
  const models = arg('models', 'bundled').split(',');
  const formats = arg('formats', 'fp32,q4').split(',') as ExportFormat[];
  const runtimes = arg('runtimes', 'node').split(',');
  const threads = Number(arg('threads', '1'));
  const reps = Number(arg('reps', '9'));
  const contexts = arg('contexts', '32,64,128,256,512').split(',').map(Number);
  const out = arg('out', join(ROOT, 'bench/results/speed.json'));
  const text = readFileSync(join(ROOT, 'public/data/moby-dick-heldout.txt'), 'utf8');

  const benchModels: BenchModel[] = [];
  for (const id of models) {
    if (id === 'bundled') {
      const b = bundledBench(ROOT);
      if (b) benchModels.push(b);
      else {
        console.warn('bundled model missing: benchmarking the tiny fixture instead');
        benchModels.push(tinyBench());
      }
    } else if (id === 'tiny') benchModels.push(tinyBench());
    else if (id === 'smol') benchModels.push(smolShapeBench({ layers: Number(arg('smol-layers', '30')) }));
    else throw new Error(`unknown model ${id}`);
  }
  const rts: BenchRuntime[] = runtimes.map((r) => (r === 'wasm' ? wasmRuntime(threads) : nodeRuntime(threads)));

  const results: unknown[] = [];
  for (const bm of benchModels) {
    const model = await loadModelFromFiles(bm.files);
    const { spec } = model;
    const L = spec.numLayers;
    const trained = bm.id === 'droplab-byte-12l';
    const seqLen = Math.min(256, spec.maxPositions);
    const configs: { name: string; drop: DropConfig; how: string }[] = [
      { name: 'full', drop: { attn: [], mlp: [] }, how: 'nothing dropped' },
    ];
    const ppl: Record<string, { perplexity: number; tokens: number; seqLen: number; windows: number }> = {};
    let windowIds: Int32Array | null = null;
    if (trained) {
      // drop lists: LLM-Drop's one-shot attention ranking on the calibration text; perplexity of each
      const rt0 = rts[0];
      const engine = new Engine({
        ort: rt0.ort,
        backend: rt0.backend,
        executionProviders: rt0.executionProviders,
        sessionOptions: rt0.sessionOptions,
        batchWindows: 8,
      });
      await engine.loadModel({ kind: 'local', name: bm.id }, bm.files);
      await engine.setText(splitDocuments(text), { seqLen, windows: 32 });
      for (const [name, frac] of FRACTIONS) {
        const n = Math.round(L * frac);
        const plan = await engine.plan({ target: 'attn', n, iterative: false });
        configs.push({ name, drop: plan.drop, how: `LLM-Drop one-shot attention ranking (engine.plan), ${n} of ${L}` });
      }
      for (const c of configs) {
        const r = await engine.evaluate(c.drop);
        ppl[c.name] = { perplexity: r.perplexity, tokens: r.tokens, seqLen: r.seqLen, windows: r.windows };
      }
      windowIds = engine.windowIds;
      await engine.dispose();
    } else {
      for (const [name, frac] of FRACTIONS) {
        const n = Math.round(L * frac);
        configs.push({
          name,
          drop: { attn: evenly(L, n), mlp: [] },
          how: `evenly spaced (random weights), ${n} of ${L}`,
        });
      }
    }

    const tokens = trained
      ? Array.from(new TextEncoder().encode(text.slice(10_000)))
      : Array.from({ length: 1024 }, (_, i) => (i * 7919) % spec.vocabSize);
    for (const rt of rts) {
      for (const format of formats) {
        const decs: KvDecoder[] = [];
        const rows: Record<string, unknown>[] = [];
        for (const c of configs) {
          const onnx = buildKvGraph(spec, model.weights, c.drop, format).build();
          const dec = await KvDecoder.create(rt.ort, onnx, kvLayout(spec, c.drop), {
            executionProviders: rt.executionProviders,
            ...rt.sessionOptions,
          });
          const check = await checkCache(dec, tokens.slice(0, 24), format);
          if (!check.ok)
            throw new Error(
              `${bm.id} ${c.name} ${format}: the KV cache does not reproduce full recompute (${JSON.stringify(check)})`,
            );
          let perplexityExport: number | null = null;
          if (windowIds) {
            const nll = await exportedNll(
              { name: rt.label, ort: rt.ort, ep: rt.executionProviders[0] },
              dec,
              windowIds,
              seqLen,
            );
            perplexityExport = Math.exp(mean(nll));
          }
          decs.push(dec);
          rows.push({
            config: c.name,
            drop: c.drop,
            how: c.how,
            keptAttentionLayers: L - c.drop.attn.length,
            onnxBytes: onnx.byteLength,
            kvBytesPerToken: kvBytesPerToken(spec, c.drop),
            perplexityEngine: ppl[c.name] ?? null,
            perplexityExport,
            cacheCheck: check,
            contexts: [] as ContextResult[],
          });
        }
        for (const ctx of contexts) {
          const rs = await measure(decs, tokens, ctx, reps);
          rs.forEach((r, i) => {
            (rows[i].contexts as ContextResult[]).push(r);
            console.log(
              `${bm.id} ${rt.id} ${format} ${String(rows[i].config).padEnd(8)} ctx ${String(ctx).padStart(3)}: prefill ${r.prefillTokensPerS.toFixed(0).padStart(7)} tok/s, decode ${r.decodeTokensPerS.toFixed(0).padStart(6)} tok/s, KV ${r.kvCacheBytes} B`,
            );
          });
        }
        for (const d of decs) await d.release();
        const full = rows[0].contexts as ContextResult[];
        const ratios = Object.fromEntries(
          rows.slice(1).map((r) => [
            r.config,
            (r.contexts as ContextResult[]).map((x, i) => ({
              context: x.context,
              prefillSpeedup: x.prefillTokensPerS / full[i].prefillTokensPerS,
              decodeSpeedup: x.decodeTokensPerS / full[i].decodeTokensPerS,
              kvCacheRatio: x.kvCacheBytes / full[i].kvCacheBytes,
            })),
          ]),
        );
        results.push({
          model: bm.id,
          description: bm.description,
          runtime: rt.label,
          format,
          configs: rows,
          ratiosToFull: ratios,
        });
      }
    }
  }
  const report = {
    benchmark: 'export-speed',
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? '?', cores: cpus().length, loadavg: loadavg() },
    versions: ORT_VERSIONS,
    settings: { threads, reps, contexts, decodeSteps: DECODE_STEPS, batch: 1 },
    notes: [
      'Prefill: tokens/s of one run over `context` tokens from an empty cache. Decode: tokens/s of 32 single-token steps after that prefill, each fed the previous present.* as past_key_values.*.',
      'Tokens/s from the fastest of `reps` runs after one warm-up (medians alongside), configurations interleaved rep by rep; the machine is shared (see loadavg), so compare configurations within one run.',
    ],
    results,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
