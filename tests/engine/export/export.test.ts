/**
 * The export as a whole: the folder it writes, the size estimate made before it starts, progress,
 * external data past the (here lowered) 2 GB threshold, the folder and zip sinks, and bad input
 * (every layer dropped, unknown format, a family without an LLM-Drop modeling file, cancellation).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/engine/api';
import { CancelledError, type DropLabError, ExportError } from '../../../src/engine/errors';
import {
  EXPORT_FORMATS,
  ONNX_FILE,
  buildKvGraph,
  estimateExport,
  exportModel,
  fileBytes,
  folderSink,
  greedyGenerate,
  KvDecoder,
  kvLayout,
  readDropConfig,
  sampleToken,
  zipSink,
} from '../../../src/engine/export';
import { loadTinyModel, mulberry32 } from '../../fixtures/tiny-models';
import { RUNTIMES } from '../../support/runtimes';
import { exportToMemory, maxRel } from './helpers';
import { nodeFolderFs } from '../../../src/cli/node-fs';

const tmp = () => mkdtempSync(join(tmpdir(), 'droplab-export-'));

async function source(variant: Parameters<typeof loadTinyModel>[0] = 'llama-gqa') {
  const m = await loadTinyModel(variant);
  return { model: m, files: m.tiny.files };
}

describe('export folder', () => {
  it('has every file transformers.js and LLM-Drop need; sizes match the estimate; progress ends at the total', async () => {
    const src = await source('llama-gqa');
    const drop = { attn: [2], mlp: [0] };
    const est = estimateExport(src.model, { drop, formats: EXPORT_FORMATS });
    const progress: Progress[] = [];
    const { files, result } = await exportToMemory(src, {
      drop,
      formats: EXPORT_FORMATS,
      onProgress: (p) => progress.push(p),
    });
    expect(Object.keys(files)).toEqual([
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'model.safetensors',
      'onnx/model.onnx',
      'onnx/model_fp16.onnx',
      'onnx/model_quantized.onnx',
      'onnx/model_q4.onnx',
      'config.json',
      'README.md',
    ]);
    expect(files['tokenizer.json']).toEqual(src.model.tiny.fileMap['tokenizer.json']);
    expect(files['generation_config.json']).toEqual(src.model.tiny.fileMap['generation_config.json']);
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    expect(readDropConfig(config)).toEqual(drop);
    expect(config.auto_map.AutoModelForCausalLM).toBe('modeling_dropped_llama.LlamaForCausalLM');
    expect(config['transformers.js_config']).toBeUndefined(); // no external data
    for (const e of est.files) {
      const actual = files[e.path].byteLength;
      expect(Math.abs(e.bytes - actual), `${e.path}: estimate ${e.bytes}, actual ${actual}`).toBeLessThan(
        0.05 * actual + 16384,
      );
    }
    expect(result.totalBytes).toBe(Object.values(files).reduce((n, b) => n + b.byteLength, 0));
    expect(progress.every((p) => p.stage === 'export' && p.unit === 'bytes')).toBe(true);
    for (let i = 1; i < progress.length; i++) expect(progress[i].done).toBeGreaterThanOrEqual(progress[i - 1].done);
    expect(progress.at(-1)?.done).toBe(progress.at(-1)?.total);
    // q4 is the smallest, fp32 the largest
    const size = (f: (typeof EXPORT_FORMATS)[number]) => files[ONNX_FILE[f]].byteLength;
    expect(size('fp32')).toBeGreaterThan(size('fp16'));
    expect(size('fp16')).toBeGreaterThan(size('q8'));
    expect(size('q8')).toBeGreaterThan(size('q4'));
    expect(est.kvBytesPerToken).toEqual({ pruned: 2 * 2 * 2 * 8 * 4, full: 3 * 2 * 2 * 8 * 4 });
  });

  it('qwen2 and gpt2: says LLM-Drop has no modeling file, still writes the lists', async () => {
    for (const variant of ['qwen2', 'gpt2'] as const) {
      const src = await source(variant);
      const { files, result } = await exportToMemory(src, { drop: { attn: [1], mlp: [] }, formats: ['q4'] });
      expect(result.llmDropLoadable).toBe(false);
      expect(result.warnings.join(' ')).toMatch(/LLM-Drop has no modeling file/);
      const config = JSON.parse(new TextDecoder().decode(files['config.json']));
      expect(config.drop_attn_list).toEqual([1]);
      expect(config.drop_mlp_list).toEqual([]);
      expect(config.auto_map).toBeUndefined();
      expect(new TextDecoder().decode(files['README.md'])).toMatch(/no modeling file/);
    }
  });
});

describe('bad input', () => {
  it('every layer dropped: ExportError before anything is written', async () => {
    const src = await source('llama-tied');
    const all = [0, 1];
    const dir = join(tmp(), 'out');
    const err = await exportModel(
      src,
      { drop: { attn: all, mlp: all }, formats: ['fp32'] },
      folderSink(nodeFolderFs, dir),
    ).catch((e) => e);
    expect(err).toBeInstanceOf(ExportError);
    expect(err.message).toMatch(/Every attention and every MLP sublayer of all 2 layers is dropped/);
    expect(readdirSync(join(dir, '..'))).toEqual([]);
  });

  it('unknown format: ExportError naming the formats', async () => {
    const src = await source();
    const err = await exportModel(
      src,
      { drop: { attn: [], mlp: [] }, formats: ['int3' as never] },
      () => undefined,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(ExportError);
    expect(err.message).toBe('Unknown export format "int3". Choose from fp32, fp16, q8, q4.');
    expect((err as DropLabError).toJSON().code).toBe('EXPORT_INVALID');
    expect(() => estimateExport(src.model, { drop: { attn: [], mlp: [] }, formats: ['fp64' as never] })).toThrow(
      ExportError,
    );
  });

  it('bad drop list: DropConfigError', async () => {
    const src = await source();
    await expect(exportModel(src, { drop: { attn: [9], mlp: [] } }, () => undefined)).rejects.toThrow(
      /Cannot drop attention layer 9/,
    );
  });

  it('cancelled export leaves nothing: no folder, no temporary folder (cancelled while building, and between files)', async () => {
    const src = await source('mistral');
    for (const cancelAt of ['layer', 'file'] as const) {
      const parent = tmp();
      const dir = join(parent, 'out');
      const signal = { aborted: false };
      let files = 0;
      const sink = folderSink(nodeFolderFs, dir);
      const inner = sink.write.bind(sink);
      sink.write = async (f) => {
        await inner(f);
        files++;
        if (cancelAt === 'file' && f.path === 'onnx/model.onnx') signal.aborted = true;
      };
      const err = await exportModel(
        src,
        {
          drop: { attn: [0], mlp: [] },
          formats: ['fp32', 'q4'],
          signal,
          onProgress: (p) => {
            if (cancelAt === 'layer' && p.done > 0 && files >= 4) signal.aborted = true;
          },
        },
        sink,
      ).catch((e) => e);
      expect(err, cancelAt).toBeInstanceOf(CancelledError);
      expect(files).toBeGreaterThan(0); // it had started writing
      expect(readdirSync(parent), cancelAt).toEqual([]); // and left nothing
    }
  });

  it('an existing folder is not overwritten unless asked', async () => {
    const parent = tmp();
    const src = await source('llama-tied');
    const opts = { drop: { attn: [0], mlp: [] }, formats: ['q8' as const] };
    await exportModel(src, opts, folderSink(nodeFolderFs, join(parent, 'out')));
    const err = await exportModel(src, opts, folderSink(nodeFolderFs, join(parent, 'out'))).catch((e) => e);
    expect(err.message).toMatch(/already exists/);
    await exportModel(
      src,
      { ...opts, drop: { attn: [1], mlp: [] } },
      folderSink(nodeFolderFs, join(parent, 'out'), { overwrite: true }),
    );
    expect(readdirSync(parent)).toEqual(['out']);
    const config = JSON.parse(readFileSync(join(parent, 'out', 'config.json'), 'utf8'));
    expect(config.drop_attn_list).toEqual([1]);
  });
});

describe('external data past the threshold', () => {
  it('splits weights into model.onnx_data, _1, ...; transformers.js_config says how many; same logits on both runtimes', async () => {
    const src = await source('llama-gqa');
    const drop = { attn: [1], mlp: [] };
    const opts = {
      drop,
      formats: ['fp32' as const, 'q4' as const],
      externalDataThreshold: 4096,
      maxDataFileBytes: 40_000,
    };
    const dir = join(tmp(), 'out');
    const res = await exportModel(src, opts, folderSink(nodeFolderFs, dir));
    const onnxDir = readdirSync(join(dir, 'onnx')).sort();
    expect(onnxDir.filter((f) => f.startsWith('model.onnx_data')).length).toBe(res.externalData.fp32);
    expect(res.externalData.fp32).toBeGreaterThan(1);
    expect(onnxDir).toContain('model.onnx_data_1');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config['transformers.js_config'].use_external_data_format).toEqual({
      'model.onnx': res.externalData.fp32,
      'model_q4.onnx': res.externalData.q4,
    });
    for (const f of readdirSync(join(dir, 'onnx')))
      expect(readFileSync(join(dir, 'onnx', f)).byteLength).toBeLessThanOrEqual(40_000 + 4096);

    const reference = buildKvGraph(src.model.spec, src.model.weights, drop, 'fp32').build();
    const prompt = [5, 9, 2, 7, 1];
    for (const rt of RUNTIMES) {
      const layout = kvLayout(src.model.spec, drop);
      const ref = await KvDecoder.create(rt.ort, reference, layout, { executionProviders: [rt.ep] });
      const externalData = onnxDir
        .filter((f) => f.startsWith('model.onnx_data'))
        .map((f) => ({ path: f, data: new Uint8Array(readFileSync(join(dir, 'onnx', f))) }));
      const ext = await KvDecoder.create(
        rt.ort,
        new Uint8Array(readFileSync(join(dir, 'onnx', 'model.onnx'))),
        layout,
        {
          executionProviders: [rt.ep],
          externalData,
        },
      );
      const a = await ref.forward(prompt, ref.emptyCache());
      const b = await ext.forward(prompt, ext.emptyCache());
      expect(maxRel(b.logits, a.logits, 1e-3)).toBe(0);
      expect(await greedyGenerate(ext, prompt, 8)).toEqual(await greedyGenerate(ref, prompt, 8));
      await ref.release();
      await ext.release();
    }
  });
});

describe('sampling', () => {
  it('temperature 0 and top-k 1 are greedy; a seeded sampler is reproducible and follows the softmax', () => {
    const logits = Float32Array.from([0.1, 2.0, -1, 1.9]);
    expect(sampleToken(logits)).toBe(1);
    expect(sampleToken(logits, { temperature: 1, topK: 1, random: () => 0.99 })).toBe(1);
    const counts = [0, 0, 0, 0];
    const rand = mulberry32(3);
    for (let i = 0; i < 4000; i++) counts[sampleToken(logits, { temperature: 1, random: rand })]++;
    const z = Array.from(logits, Math.exp);
    const sum = z.reduce((a, b) => a + b, 0);
    for (let i = 0; i < 4; i++) expect(Math.abs(counts[i] / 4000 - z[i] / sum)).toBeLessThan(0.03);
    // top-p 0.5 keeps only the two best tokens (0.48 + 0.43 of the mass)
    for (let i = 0; i < 200; i++)
      expect([1, 3]).toContain(sampleToken(logits, { temperature: 1, topP: 0.5, random: rand }));
  });
});

describe('zip sink', () => {
  it('streams a zip whose entries are the export files', async () => {
    const src = await source('llama-tied');
    const opts = { drop: { attn: [], mlp: [1] }, formats: ['q4' as const] };
    const chunks: Uint8Array[] = [];
    let finals = 0;
    await exportModel(
      src,
      opts,
      zipSink((c, final) => {
        chunks.push(c);
        if (final) finals++;
      }),
    );
    expect(finals).toBe(1);
    const zip = unzipSync(fileBytes({ path: 'x', parts: chunks, size: chunks.reduce((n, c) => n + c.byteLength, 0) }));
    const { files } = await exportToMemory(src, opts);
    expect(Object.keys(zip).sort()).toEqual(Object.keys(files).sort());
    for (const [k, v] of Object.entries(files)) {
      if (k === 'README.md' || k.endsWith('.json') || k.endsWith('.safetensors') || k.endsWith('.onnx'))
        expect(Buffer.from(zip[k]).equals(Buffer.from(v)), k).toBe(true);
    }
  });
});
