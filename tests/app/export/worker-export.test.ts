/**
 * The engine's export, generation and speed methods (src/engine/model-tasks.ts, src/engine/generate/) in
 * Node: the same code the engine worker runs, over an Engine on onnxruntime-node and tiny models. The
 * zip the page would receive is reassembled from the streamed batches and unzipped.
 */
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { nodeEngine, ortNode } from '../../../src/cli/ort-node';
import type { DropConfig, GenerateEvent, Progress } from '../../../src/engine/api';
import type { Engine } from '../../../src/engine/engine';
import { CancelledError, type DropLabError, ExportError } from '../../../src/engine/errors';
import {
  buildKvGraph,
  fileBytes,
  greedyGenerate,
  KvDecoder,
  kvLayout,
  ONNX_FILE,
  onnxFiles,
  readDropConfig,
} from '../../../src/engine/export';
import { exportNotices } from '../../../src/app/export/export-view';
import { ChunkBatcher } from '../../../src/engine/export/zip-batches';
import { NO_DROPS } from '../../../src/engine/drops';
import { KvSessionCache } from '../../../src/engine/generate/kv-sessions';
import { createRunQueue } from '../../../workers/ort-queue';
import { RUNTIMES } from '../../support/runtimes';
import { tinyModel, type TinyVariant } from '../../fixtures/tiny-models';

async function setup(variant: TinyVariant = 'llama-gqa', rt: 'node' | 'web-wasm' = 'node') {
  const tiny = tinyModel(variant);
  // onnxruntime-web's wasm backend, as in the worker: the engine in the queue's background lane, the panels in its foreground.
  const web = rt === 'web-wasm' ? createRunQueue(RUNTIMES[1].ort) : null;
  const engine = web
    ? nodeEngine({
        ort: web.background,
        executionProviders: ['wasm'],
        taskOrt: web.foreground,
        exclusive: web.exclusive,
      })
    : nodeEngine();
  await engine.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
  // The export, generation and speed methods of EngineApi, as the worker passes them through.
  const api = engine;
  return { tiny, engine, api };
}

async function nodeGreedy(engine: Engine, drop: DropConfig, prompt: number[], n: number, eos: number[]) {
  const model = engine.model!;
  const bytes = fileBytes(onnxFiles(buildKvGraph(model.spec, model.weights, drop, 'fp32'), ONNX_FILE.fp32).files[0]);
  const dec = await KvDecoder.create(ortNode, bytes, kvLayout(model.spec, drop), { executionProviders: ['cpu'] });
  try {
    return await greedyGenerate(dec, prompt, n, { eosTokenId: eos });
  } finally {
    await dec.release();
  }
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
};

describe('ChunkBatcher', () => {
  it('hands out the bytes in order, in fresh buffers of the batch size, the rest on flush', () => {
    const b = new ChunkBatcher(10);
    const src = Uint8Array.from({ length: 64 }, (_, i) => i);
    const backing = new Uint8Array(src.buffer); // views into one buffer, as the zip's chunks are
    b.push(backing.subarray(0, 7));
    expect(b.take(false)).toEqual([]);
    b.push(backing.subarray(7, 30));
    b.push(new Uint8Array(0));
    const first = b.take(false);
    expect(first.map((x) => x.byteLength)).toEqual([10, 10, 10]);
    b.push(backing.subarray(30, 64));
    const rest = [...b.take(false), ...b.take(true)];
    const all = [...first, ...rest];
    expect(
      all.every((x) => x.byteOffset === 0 && x.byteLength === x.buffer.byteLength && x.buffer !== src.buffer),
    ).toBe(true);
    expect(Array.from(concat(all))).toEqual(Array.from(src));
    expect(b.total).toBe(64);
    expect(b.take(true)).toEqual([]);
  });
});

describe('export in the worker', () => {
  it('previews sizes and warnings, then streams a zip whose files match: drop lists, ONNX files, checkpoint', async () => {
    const { api, engine } = await setup('llama-gqa');
    const drop = { attn: [1], mlp: [0] };
    const p = await api.previewExport({ drop, formats: ['fp32', 'q4'] });
    expect(p.drop).toEqual(drop);
    expect(p.llmDropLoadable).toBe(true);
    expect(p.files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        'config.json',
        'tokenizer.json',
        'model.safetensors',
        'onnx/model.onnx',
        'onnx/model_q4.onnx',
        'README.md',
      ]),
    );
    expect(p.zipBytes).toBeGreaterThan(p.totalBytes);
    expect(p.externalData).toEqual([]);
    expect(exportNotices(p).filter((n) => n.kind !== 'info')).toEqual([]);

    const batches: { bytes: Uint8Array; final: boolean }[] = [];
    const progress: Progress[] = [];
    const summary = await api.exportZip(
      { drop, formats: ['fp32', 'q4'] },
      (chunks, final) => {
        for (const c of chunks) batches.push({ bytes: c, final });
      },
      (x) => progress.push(x),
    );
    expect(batches.filter((b) => b.final)).toHaveLength(1);
    expect(batches[batches.length - 1].final).toBe(true);
    const zip = concat(batches.map((b) => b.bytes));
    expect(zip.byteLength).toBe(summary.zipBytes);
    // Estimated before anything was built: close (on a tiny model the graph's structure is a large share).
    expect(Math.abs(summary.zipBytes / p.zipBytes - 1)).toBeLessThan(0.1);
    const files = unzipSync(zip);
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    expect(config.drop_attn_list).toEqual([1]);
    expect(config.drop_mlp_list).toEqual([0]);
    expect(readDropConfig(config)).toEqual(drop);
    expect(config.auto_map).toBeDefined();
    for (const f of summary.files) expect(files[f.path]?.byteLength).toBe(f.size);
    // The estimate is close to what was written (the graph's structure, a few KiB per layer, is estimated).
    for (const path of ['onnx/model.onnx', 'onnx/model_q4.onnx', 'model.safetensors']) {
      const est = p.files.find((f) => f.path === path)!.bytes;
      expect(Math.abs(files[path].byteLength - est)).toBeLessThan(64 * 1024);
    }
    expect(progress[progress.length - 1].done).toBe(progress[progress.length - 1].total);
    await engine.dispose();
  });

  it('cancel: rejects with CancelledError, and the final batch never comes', async () => {
    const { api, engine } = await setup('llama-gqa');
    let finals = 0;
    let calls = 0;
    const run = api.exportZip(
      { drop: NO_DROPS, formats: ['fp32', 'fp16', 'q8', 'q4'] },
      (_c, final) => {
        if (final) finals++;
      },
      () => {
        if (++calls === 2) api.cancel('export');
      },
    );
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(finals).toBe(0);
    // A new export runs after a cancelled one.
    const ok = await api.exportZip({ drop: NO_DROPS, formats: [] }, () => {});
    expect(ok.formats).toEqual([]);
    await engine.dispose();
  });

  it('every sublayer dropped: refused before anything is streamed, with the reason', async () => {
    const { api, engine, tiny } = await setup('llama-gqa');
    const L = tiny.config.num_hidden_layers as number;
    const all = Array.from({ length: L }, (_, i) => i);
    const drop = { attn: all, mlp: all };
    const e1 = (await api.previewExport({ drop, formats: ['fp32'] }).catch((e) => e)) as DropLabError;
    expect(e1).toBeInstanceOf(ExportError);
    expect(e1.details.reason).toBe('everything-dropped');
    expect(e1.message).toMatch(/Keep at least one sublayer/);
    let chunks = 0;
    await expect(api.exportZip({ drop, formats: ['fp32'] }, () => void chunks++)).rejects.toBeInstanceOf(ExportError);
    expect(chunks).toBe(0);
    await engine.dispose();
  });

  it.each(['qwen2', 'gpt2'] as const)(
    '%s: no LLM-Drop modeling file, said so, and the lists are still written',
    async (variant) => {
      const { api, engine } = await setup(variant);
      const drop = { attn: [0], mlp: [] };
      const p = await api.previewExport({ drop, formats: ['q8'] });
      expect(p.llmDropLoadable).toBe(false);
      const notices = exportNotices(p);
      expect(notices.find((n) => n.id === 'no-llmdrop-modeling')?.text).toContain(`no modeling file for ${variant}`);
      expect(notices.some((n) => n.kind === 'error')).toBe(false);
      const parts: Uint8Array[] = [];
      const s = await api.exportZip({ drop, formats: ['q8'] }, (c) => parts.push(...c));
      expect(s.llmDropLoadable).toBe(false);
      const files = unzipSync(concat(parts));
      const config = JSON.parse(new TextDecoder().decode(files['config.json']));
      expect(config.drop_attn_list).toEqual([0]);
      expect(config.auto_map).toBeUndefined();
      expect(files['onnx/model_quantized.onnx'].byteLength).toBeGreaterThan(1000);
      expect(new TextDecoder().decode(files['README.md'])).toMatch(/no modeling file/);
      await engine.dispose();
    },
  );
});

describe('generation and speed in the worker', () => {
  it('greedy: both models stream token by token and equal the export decoding loop run directly', async () => {
    const { api, engine } = await setup('llama-gqa');
    const drop = { attn: [1], mlp: [2] };
    const prompt = 'the cat sat';
    const events: GenerateEvent[] = [];
    const r = await api.generate({ prompt, drop, maxNewTokens: 12, temperature: 0, topK: 0, seed: 1 }, (e) =>
      events.push(e),
    );
    const ids = engine.tokenizer!.encode(prompt);
    expect(r.promptIds).toEqual(ids);
    const eos = [engine.tokenizer!.eosTokenId ?? engine.model!.spec.eosTokenId!];
    expect(r.full.ids).toEqual(await nodeGreedy(engine, NO_DROPS, ids, 12, eos));
    expect(r.pruned.ids).toEqual(await nodeGreedy(engine, drop, ids, 12, eos));
    for (const m of ['full', 'pruned'] as const) {
      const ev = events.filter((e) => e.model === m);
      expect(ev.map((e) => e.ids.length)).toEqual(Array.from({ length: r[m].ids.length }, (_, i) => i + 1));
      expect(ev[ev.length - 1].done).toBe(true);
      expect(ev.slice(0, -1).every((e) => !e.done)).toBe(true);
      expect(ev[ev.length - 1].text).toBe(r[m].text);
    }
    // Interleaved: the pruned model's first token comes before the full model's last.
    const firstPruned = events.findIndex((e) => e.model === 'pruned');
    const lastFull = events.map((e) => e.model).lastIndexOf('full');
    expect(firstPruned).toBeLessThan(lastFull);
    expect(r.full.cachedLayers).toBe(engine.model!.spec.numLayers);
    expect(r.pruned.cachedLayers).toBe(engine.model!.spec.numLayers - 1);
    await engine.dispose();
  });

  it('onnxruntime-web wasm (one run at a time): side by side through the queued runtime, beside an engine call; same tokens as Node', async () => {
    const { api, engine } = await setup('llama-gqa', 'web-wasm');
    await engine.setText('the cat sat on the mat. '.repeat(40), { seqLen: 16, windows: 2 });
    const drop = { attn: [0], mlp: [1] };
    const [r] = await Promise.all([
      api.generate({ prompt: 'the cat', drop, maxNewTokens: 10, temperature: 0, topK: 0, seed: 1 }, () => {}),
      engine.analyze(drop), // the engine's sessions run meanwhile, on the same runtime
    ]);
    const ids = engine.tokenizer!.encode('the cat');
    const eos = [engine.tokenizer!.eosTokenId ?? engine.model!.spec.eosTokenId!];
    expect(r.full.ids).toEqual(await nodeGreedy(engine, NO_DROPS, ids, 10, eos));
    expect(r.pruned.ids).toEqual(await nodeGreedy(engine, drop, ids, 10, eos));
    await engine.dispose();
  });

  it('sampling with the same seed repeats; cancel stops both with what was generated', async () => {
    const { api, engine } = await setup('llama-gqa');
    const req = { prompt: 'a dog', drop: { attn: [0], mlp: [] }, maxNewTokens: 10, temperature: 1.2, topK: 5, seed: 7 };
    const a = await api.generate(req, () => {});
    const b = await api.generate(req, () => {});
    expect(b.full.ids).toEqual(a.full.ids);
    expect(b.pruned.ids).toEqual(a.pruned.ids);
    let n = 0;
    const c = await api.generate({ ...req, maxNewTokens: 200 }, () => {
      if (++n === 3) api.cancel('generate');
    });
    expect(c.full.stop === 'cancelled' || c.full.stop === 'eos').toBe(true);
    expect(c.full.ids.length).toBeLessThan(200);
    expect(c.pruned.ids.length).toBeLessThan(200);
    await engine.dispose();
  });

  it('speed: positive rates at each context, KV bytes of the kept attention layers only', async () => {
    const { api, engine } = await setup('llama-gqa');
    const spec = engine.model!.spec;
    const drop = { attn: [0, 2], mlp: [] };
    const progress: Progress[] = [];
    const r = await api.measureSpeed({ drop, contexts: [16, 8], decodeSteps: 4, reps: 1 }, (p) => progress.push(p));
    expect(r.full.map((x) => x.context)).toEqual([8, 16]);
    for (const [pts, layers] of [
      [r.full, spec.numLayers],
      [r.pruned, spec.numLayers - 2],
    ] as const) {
      for (const x of pts) {
        expect(x.prefillTokensPerS).toBeGreaterThan(0);
        expect(x.decodeTokensPerS).toBeGreaterThan(0);
        expect(x.kvCacheBytes).toBe(2 * layers * spec.numKvHeads * x.context * spec.headDim * 4);
      }
    }
    expect(r.cachedLayers).toEqual({ full: spec.numLayers, pruned: spec.numLayers - 2 });
    expect(progress[progress.length - 1]).toMatchObject({ done: 8, total: 8 });
    await engine.dispose();
  });

  it("cancel('speed') rejects the measurement with CancelledError; cancel() of the analysis queue leaves it running", async () => {
    const { engine, api } = await setup('llama-gqa');
    const drop = { attn: [1], mlp: [] };
    let steps = 0;
    const other = await api.measureSpeed({ drop, contexts: [8], decodeSteps: 2, reps: 1 }, () => {
      if (++steps === 1) api.cancel(); // the analysis queue, not this task
    });
    expect(other.full).toHaveLength(1);
    const r = await api
      .measureSpeed({ drop, contexts: [8, 16], decodeSteps: 2, reps: 1 }, () => api.cancel('speed'))
      .catch((e) => e);
    expect(r).toBeInstanceOf(CancelledError);
    // The next one runs.
    expect((await api.measureSpeed({ drop, contexts: [8], decodeSteps: 2, reps: 1 })).pruned).toHaveLength(1);
    await engine.dispose();
  });
});

describe('KvSessionCache', () => {
  it('builds a configuration once, keeps the full model, evicts the oldest pruned ones, starts over for a new model', async () => {
    const { engine } = await setup('llama-gqa');
    let created = 0;
    const cache = new KvSessionCache(
      ortNode,
      () => {
        created++;
        return { executionProviders: ['cpu'] };
      },
      2,
    );
    const m = engine.model!;
    const full = await cache.get(m, NO_DROPS);
    expect(await cache.get(m, NO_DROPS)).toBe(full);
    await cache.get(m, { attn: [0], mlp: [] });
    await cache.get(m, { attn: [1], mlp: [] });
    expect(cache.size).toBe(2);
    expect(await cache.get(m, NO_DROPS)).toBe(full);
    expect(created).toBe(3);
    const other = await setup('llama-tied');
    await cache.get(other.engine.model!, NO_DROPS);
    expect(cache.size).toBe(1);
    await cache.clear();
    await engine.dispose();
    await other.engine.dispose();
  });
});
