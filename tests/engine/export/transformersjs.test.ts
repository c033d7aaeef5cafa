/**
 * @huggingface/transformers (transformers.js) loads the exported folder from local files, with no
 * network, and generates the same greedy tokens as DropLab's own decoding loop (KvDecoder on
 * onnxruntime-node) on the same .onnx file: through AutoModelForCausalLM.generate and through
 * pipeline('text-generation'). Every family, fp32 and q4 (and fp16, q8, external data on one).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, pipeline, Tensor } from '@huggingface/transformers';
import { afterAll, describe, expect, it } from 'vitest';
import { ortNode } from '../../../src/cli/ort-node';
import {
  type ExportFormat,
  exportModel,
  folderSink,
  greedyGenerate,
  KvDecoder,
  kvLayout,
  ONNX_FILE,
} from '../../../src/engine/export';
import type { LoadedModel } from '../../../src/engine/model/load';
import { TINY_VARIANTS, type TinyVariant, loadTinyModel } from '../../fixtures/tiny-models';
import { nodeFolderFs } from '../../../src/cli/node-fs';

const ROOT = mkdtempSync(join(tmpdir(), 'droplab-tjs-'));
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = ROOT;
env.useFSCache = false;
env.useBrowserCache = false;

const PROMPT = 'The whale';
const NEW = 32;

/** EOS ids as transformers.js stops on them (generation_config.json, else config.json). */
function eosIds(model: LoadedModel & { tiny: { fileMap: Record<string, Uint8Array> } }): number[] {
  const gen = JSON.parse(new TextDecoder().decode(model.tiny.fileMap['generation_config.json']));
  const e = gen.eos_token_id ?? model.config.eos_token_id;
  return Array.isArray(e) ? e : e === undefined || e === null ? [] : [e];
}

async function ours(
  dir: string,
  format: ExportFormat,
  model: LoadedModel,
  drop: { attn: number[]; mlp: number[] },
  prompt: number[],
  eos: number[],
) {
  const bytes = new Uint8Array(readFileSync(join(dir, ONNX_FILE[format])));
  const dec = await KvDecoder.create(ortNode, bytes, kvLayout(model.spec, drop), { executionProviders: ['cpu'] });
  const out = await greedyGenerate(dec, prompt, NEW, { eosTokenId: eos });
  await dec.release();
  return out;
}

afterAll(() => {
  env.localModelPath = '/models/';
});

/** Families transformers.js v4 has no model class for: their export is checked by onnx.test.ts only. */
const NO_TRANSFORMERS_JS: ReadonlySet<TinyVariant> = new Set(['baichuan2']);

describe('transformers.js runs the exported folder', () => {
  it('baichuan: transformers.js has no model class for it (the exported ONNX runs in DropLab and onnxruntime only)', async () => {
    const m = await loadTinyModel('baichuan2');
    const name = 'export-baichuan2';
    const drop = { attn: [1], mlp: [0] };
    await exportModel(
      { model: m, files: m.tiny.files },
      { drop, formats: ['fp32'] },
      folderSink(nodeFolderFs, join(ROOT, name)),
    );
    await expect(AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', device: 'cpu' })).rejects.toThrow(
      /Unsupported model type: baichuan/,
    );
  });

  for (const variant of TINY_VARIANTS.filter((v) => !NO_TRANSFORMERS_JS.has(v))) {
    it(`${variant}: generate() and pipeline() give our greedy tokens (fp32, q4${variant === 'llama-gqa' ? ', fp16, q8' : ''})`, async () => {
      const m = await loadTinyModel(variant as TinyVariant);
      const L = m.spec.numLayers;
      const drop = { attn: [L - 1], mlp: [0] };
      const formats: ExportFormat[] = variant === 'llama-gqa' ? ['fp32', 'fp16', 'q8', 'q4'] : ['fp32', 'q4'];
      const name = `export-${variant}`;
      const dir = join(ROOT, name);
      await exportModel({ model: m, files: m.tiny.files }, { drop, formats }, folderSink(nodeFolderFs, dir));
      expect(existsSync(join(dir, 'onnx', 'model.onnx'))).toBe(true);

      const tokenizer = await AutoTokenizer.from_pretrained(name);
      const prompt = Array.from(tokenizer.encode(PROMPT) as number[]);
      const eos = eosIds(m);
      const lengths: number[] = [];
      for (const dtype of formats) {
        const mine = await ours(dir, dtype, m, drop, prompt, eos);
        lengths.push(mine.length);
        const model = await AutoModelForCausalLM.from_pretrained(name, { dtype, device: 'cpu' });
        const inputIds = new Tensor(
          'int64',
          BigInt64Array.from(prompt, (v) => BigInt(v)),
          [1, prompt.length],
        );
        const attention = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
        const gen = (await model.generate({
          input_ids: inputIds,
          attention_mask: attention,
          max_new_tokens: NEW,
          do_sample: false,
        })) as Tensor;
        const theirs = Array.from(gen.data as BigInt64Array, Number).slice(prompt.length);
        expect(theirs, `${variant} ${dtype} generate()`).toEqual(mine);
        await model.dispose();

        const pipe = await pipeline('text-generation', name, { dtype, device: 'cpu' });
        const out = (await pipe(PROMPT, {
          max_new_tokens: NEW,
          do_sample: false,
          return_full_text: false,
          add_special_tokens: true,
        })) as { generated_text: string }[];
        expect(out[0].generated_text, `${variant} ${dtype} pipeline()`).toBe(
          tokenizer.decode(mine, { skip_special_tokens: true }),
        );
        await pipe.dispose();
      }
      expect(Math.max(...lengths), 'at least one run went the full 32 tokens').toBe(NEW);
    });
  }

  it('every attention layer dropped (no KV cache at all): transformers.js recomputes, same tokens', async () => {
    for (const variant of ['llama-gqa', 'gpt2'] as const) {
      const m = await loadTinyModel(variant);
      const drop = { attn: Array.from({ length: m.spec.numLayers }, (_, l) => l), mlp: [] };
      const name = `export-${variant}-no-attention`;
      const dir = join(ROOT, name);
      await exportModel({ model: m, files: m.tiny.files }, { drop, formats: ['fp32'] }, folderSink(nodeFolderFs, dir));
      const tokenizer = await AutoTokenizer.from_pretrained(name);
      const prompt = Array.from(tokenizer.encode(PROMPT) as number[]);
      const mine = await ours(dir, 'fp32', m, drop, prompt, eosIds(m));
      const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', device: 'cpu' });
      const gen = (await model.generate({
        input_ids: new Tensor(
          'int64',
          BigInt64Array.from(prompt, (v) => BigInt(v)),
          [1, prompt.length],
        ),
        max_new_tokens: NEW,
        do_sample: false,
      })) as Tensor;
      expect(Array.from(gen.data as BigInt64Array, Number).slice(prompt.length), variant).toEqual(mine);
      await model.dispose();
    }
  });

  it('loads weights split into external data files (use_external_data_format in config.json)', async () => {
    const m = await loadTinyModel('qwen2');
    const drop = { attn: [0], mlp: [] };
    const name = 'export-qwen2-external';
    const dir = join(ROOT, name);
    const res = await exportModel(
      { model: m, files: m.tiny.files },
      { drop, formats: ['q4'], externalDataThreshold: 1024, maxDataFileBytes: 16_384 },
      folderSink(nodeFolderFs, dir),
    );
    expect(res.externalData.q4).toBeGreaterThan(1);
    const tokenizer = await AutoTokenizer.from_pretrained(name);
    const prompt = Array.from(tokenizer.encode(PROMPT) as number[]);
    const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'q4', device: 'cpu' });
    const gen = (await model.generate({
      input_ids: new Tensor(
        'int64',
        BigInt64Array.from(prompt, (v) => BigInt(v)),
        [1, prompt.length],
      ),
      max_new_tokens: NEW,
      do_sample: false,
    })) as Tensor;
    const ext = (dir2: string) => readFileSync(join(dir2, 'onnx', 'model_q4.onnx_data'));
    expect(ext(dir).byteLength).toBeGreaterThan(0);
    const dec = await KvDecoder.create(
      ortNode,
      new Uint8Array(readFileSync(join(dir, 'onnx', 'model_q4.onnx'))),
      kvLayout(m.spec, drop),
      {
        executionProviders: ['cpu'],
        externalData: Array.from({ length: res.externalData.q4 ?? 0 }, (_, i) => {
          const path = `model_q4.onnx_data${i ? `_${i}` : ''}`;
          return { path, data: new Uint8Array(readFileSync(join(dir, 'onnx', path))) };
        }),
      },
    );
    const mine = await greedyGenerate(dec, prompt, NEW, { eosTokenId: eosIds(m) });
    await dec.release();
    expect(Array.from(gen.data as BigInt64Array, Number).slice(prompt.length)).toEqual(mine);
    await model.dispose();
  });
});
