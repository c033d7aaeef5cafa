/**
 * The export on the bundled trained model (public/models/droplab-byte-12l, 12 layers): what is
 * exported is what the workbench measured, the quantized formats keep its perplexity, the KV cache
 * changes nothing, and transformers.js runs the folder. These tests FAIL (they do not skip) when the
 * bundled model is missing.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { folderFiles } from '../../../src/cli/node-files';
import { ortNode } from '../../../src/cli/ort-node';
import { splitDocuments } from '../../../src/engine/data';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  ONNX_FILE,
  buildKvGraph,
  exportModel,
  folderSink,
  greedyGenerate,
  KvDecoder,
  kvLayout,
} from '../../../src/engine/export';
import { type LoadedModel, loadModelFromFiles } from '../../../src/engine/model/load';
import { makeEngine } from '../setup';
import { RUNTIMES, measured, record } from '../../support/runtimes';
import { decoderOn, exportedNll, maxRel, mean } from './helpers';
import { nodeFolderFs } from '../../../src/cli/node-fs';

const ROOT = join(__dirname, '../../..');
const NAME = 'droplab-byte-12l';
const DIR = join(ROOT, 'public/models', NAME);
const TEXT = join(ROOT, 'public/data/moby-dick-heldout.txt');
const SEQ = 256;
/** 25% and 50% of the attention layers, plus one MLP: a realistic pruned configuration. */
const DROPS = [
  { attn: [], mlp: [] },
  { attn: [4, 7, 9], mlp: [] },
  { attn: [2, 4, 5, 7, 9, 10], mlp: [8] },
];

let model: LoadedModel;
beforeAll(async () => {
  // Fail loudly: the model is part of the repository.
  expect(
    existsSync(join(DIR, 'model.safetensors')),
    `${DIR} is missing: the bundled model must be in the repository`,
  ).toBe(true);
  model = await loadModelFromFiles(folderFiles(DIR));
});

afterAll(() => {
  for (const [k, v] of [...measured].sort()) if (k.startsWith('bundled')) console.log(`${k}: ${v.toExponential(2)}`);
});

describe('bundled model export', () => {
  describe.each(RUNTIMES)('on $name', (rt) => {
    it('fp32 export per-token NLL = the live engine, 8 windows of 256 tokens, 3 drop configurations', async () => {
      const engine = makeEngine(rt.ep === 'cpu' ? 'onnxruntime-node' : 'onnxruntime-web wasm', 8);
      await engine.loadModel({ kind: 'bundled', name: NAME }, folderFiles(DIR));
      await engine.setText(splitDocuments(readFileSync(TEXT, 'utf8')), { seqLen: SEQ, windows: 8 });
      const ids = engine.windowIds as Int32Array;
      for (const drop of DROPS) {
        const live = (await engine.evaluateTokens(drop)).nll;
        const dec = await decoderOn(
          rt,
          buildKvGraph(model.spec, model.weights, drop, 'fp32').build(),
          model.spec,
          drop,
        );
        const exp = await exportedNll(rt, dec, ids, SEQ);
        await dec.release();
        // relative to max(|nll|, 1 nat): below 1 nat the float32 logsumexp's own rounding (~1e-7 of the
        // logits) dominates any relative measure; the largest plain relative difference is logged too.
        expect(
          record(`bundled fp32 nll rel(floor 1) ${rt.name}`, maxRel(exp, live, 1)),
          JSON.stringify(drop),
        ).toBeLessThan(1e-5);
        record(`bundled fp32 nll rel(floor 1e-3) ${rt.name}`, maxRel(exp, live, 1e-3));
        expect(Math.abs(mean(exp) / mean(live) - 1)).toBeLessThan(1e-6);
      }
      await engine.dispose();
    });

    it('greedy generation with the KV cache = full recompute, 32 tokens', async () => {
      const drop = DROPS[1];
      const dec = await decoderOn(rt, buildKvGraph(model.spec, model.weights, drop, 'fp32').build(), model.spec, drop);
      const prompt = Array.from(new TextEncoder().encode('Call me Ishmael. Some years ago'));
      const cached = await greedyGenerate(dec, prompt, 32);
      expect(cached).toEqual(await greedyGenerate(dec, prompt, 32, { useCache: false }));
      expect(cached).toHaveLength(32);
      await dec.release();
    });
  });

  it('q4 perplexity within 3% of fp32 (fp16, q8 reported), 64 windows of 256 tokens, onnxruntime-node', async () => {
    const engine = makeEngine('onnxruntime-node', 16);
    await engine.loadModel({ kind: 'bundled', name: NAME }, folderFiles(DIR));
    await engine.setText(splitDocuments(readFileSync(TEXT, 'utf8')), { seqLen: SEQ, windows: 64 });
    const ids = engine.windowIds as Int32Array;
    const rt = RUNTIMES[0];
    const rows: string[] = [];
    for (const drop of [DROPS[0], DROPS[1]]) {
      const live = await engine.evaluate(drop);
      const ppl = {} as Record<ExportFormat, number>;
      const bytes = {} as Record<ExportFormat, number>;
      for (const f of EXPORT_FORMATS) {
        const onnx = buildKvGraph(model.spec, model.weights, drop, f).build();
        bytes[f] = onnx.byteLength;
        const dec = await decoderOn(rt, onnx, model.spec, drop);
        ppl[f] = Math.exp(mean(await exportedNll(rt, dec, ids, SEQ)));
        await dec.release();
      }
      expect(Math.abs(ppl.fp32 / live.perplexity - 1)).toBeLessThan(1e-6);
      expect(Math.abs(ppl.q4 / ppl.fp32 - 1), `q4 ${ppl.q4} vs fp32 ${ppl.fp32}`).toBeLessThan(0.03);
      expect(Math.abs(ppl.q8 / ppl.fp32 - 1)).toBeLessThan(0.005);
      expect(Math.abs(ppl.fp16 / ppl.fp32 - 1)).toBeLessThan(0.001);
      for (const f of EXPORT_FORMATS)
        rows.push(
          `drop ${JSON.stringify(drop)} ${f}: ${bytes[f]} bytes, perplexity ${ppl[f].toFixed(4)} (${((ppl[f] / ppl.fp32 - 1) * 100).toFixed(2)}% vs fp32), ${live.tokens} tokens`,
        );
    }
    console.log(rows.join('\n'));
    await engine.dispose();
  });

  it('transformers.js loads the exported folder and generates our greedy tokens (fp32, q4)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'droplab-bundled-'));
    const drop = DROPS[2];
    await exportModel(
      { model, files: folderFiles(DIR) },
      { drop, formats: ['fp32', 'q4'] },
      folderSink(nodeFolderFs, join(parent, 'pruned')),
    );
    env.allowRemoteModels = false;
    env.localModelPath = parent;
    const prompt = Array.from(new TextEncoder().encode('It is not down on any map; true places never are.'));
    for (const dtype of ['fp32', 'q4'] as const) {
      const dec = await KvDecoder.create(
        ortNode,
        new Uint8Array(readFileSync(join(parent, 'pruned', ONNX_FILE[dtype]))),
        kvLayout(model.spec, drop),
      );
      const mine = await greedyGenerate(dec, prompt, 32, { eosTokenId: model.spec.eosTokenId });
      await dec.release();
      const m = await AutoModelForCausalLM.from_pretrained('pruned', { dtype, device: 'cpu' });
      const out = (await m.generate({
        input_ids: new Tensor(
          'int64',
          BigInt64Array.from(prompt, (v) => BigInt(v)),
          [1, prompt.length],
        ),
        max_new_tokens: 32,
        do_sample: false,
      })) as Tensor;
      expect(Array.from(out.data as BigInt64Array, Number).slice(prompt.length), dtype).toEqual(mine);
      await m.dispose();
      console.log(
        `bundled ${dtype} continuation: ${JSON.stringify(new TextDecoder().decode(Uint8Array.from(mine.filter((t) => t < 256))))}`,
      );
    }
  });
});
