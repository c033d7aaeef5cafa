import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderFiles } from '../../../src/cli/node-files';
import type { ModelFiles } from '../../../src/engine/api';
import {
  ConfigError,
  type DropLabError,
  MissingFileError,
  MissingWeightError,
  ModelTooLargeError,
  SafetensorsDtypeError,
  SafetensorsRangeError,
  SafetensorsTruncatedError,
  ShapeMismatchError,
  UnsupportedArchitectureError,
} from '../../../src/engine/errors';
import { memoryFiles } from '../../../src/engine/files';
import { openCheckpoint, weightLayout } from '../../../src/engine/model/checkpoint';
import { loadModelFromFiles } from '../../../src/engine/model/load';
import { admit } from '../../../src/engine/model/admission';
import { parse, writeSafetensors } from '../../../src/engine/model/safetensors';
import { TINY_VARIANTS, type TinyModel, tinyModel } from '../../fixtures/tiny-models';
import { writeTinyModel } from '../../fixtures/tiny-models-node';

const enc = new TextEncoder();

/** The fixture's files with some replaced (undefined removes a file). */
function patched(m: TinyModel, changes: Record<string, Uint8Array | undefined>): ModelFiles {
  const map: Record<string, Uint8Array> = { ...m.fileMap };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete map[k];
    else map[k] = v;
  }
  return memoryFiles(map);
}

const withConfig = (m: TinyModel, patch: Record<string, unknown>) =>
  patched(m, { 'config.json': enc.encode(JSON.stringify({ ...m.config, ...patch })) });

/** Rewrite model.safetensors with its tensors edited. */
function withTensors(
  m: TinyModel,
  edit: (names: string[]) => { name: string; shape?: number[]; data?: Float32Array }[],
): ModelFiles {
  const keep = edit([...m.tensors.keys()]);
  const file = writeSafetensors(
    keep.map((k) => {
      const t = m.tensors.get(k.name) ?? { shape: k.shape as number[], data: k.data as Float32Array };
      return { name: k.name, dtype: 'F32', shape: k.shape ?? t.shape, data: k.data ?? t.data };
    }),
  );
  return patched(m, { 'model.safetensors': file });
}

/** Records which files were read. */
function spy(files: ModelFiles): { files: ModelFiles; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    files: {
      names: () => files.names(),
      read: (n) => {
        reads.push(n);
        return files.read(n);
      },
    },
  };
}

async function rejects(
  p: Promise<unknown>,
  cls: new (...a: never[]) => DropLabError,
  ...parts: string[]
): Promise<DropLabError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a rejection').toBeInstanceOf(cls);
  for (const s of parts) expect((err as Error).message).toContain(s);
  return err as DropLabError;
}

describe('checkpoint: single file and shards', () => {
  for (const v of TINY_VARIANTS) {
    it(`${v}: two shards + index load the same tensors as one file`, async () => {
      const one = await openCheckpoint(tinyModel(v, { dtype: 'bf16' }).files);
      const two = await openCheckpoint(tinyModel(v, { dtype: 'bf16', shards: 2 }).files);
      expect(two.files).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
      expect(two.names().sort()).toEqual(one.names().sort());
      for (const n of one.names()) {
        expect(two.info(n).shape).toEqual(one.info(n).shape);
        expect([...two.get(n).load()]).toEqual([...one.get(n).load()]);
      }
      expect(two.storedBytes()).toBe(one.storedBytes());
      expect(two.metadata).toEqual({ format: 'pt' });
    });
  }

  it('reads the index total_size before any shard', async () => {
    const m = tinyModel('llama-gqa', { shards: 2 });
    const s = spy(m.files);
    const layout = await weightLayout(s.files);
    expect(layout.kind).toBe('sharded');
    expect(layout.kind === 'sharded' && layout.totalSize).toBe((await openCheckpoint(m.files)).storedBytes());
    expect(s.reads).toEqual(['model.safetensors.index.json']);
  });

  it('missing shard -> MissingFileError naming it', async () => {
    const m = tinyModel('mistral', { shards: 2 });
    await rejects(
      loadModelFromFiles(patched(m, { 'model-00002-of-00002.safetensors': undefined })),
      MissingFileError,
      'model-00002-of-00002.safetensors',
    );
  });

  it('index placing a tensor in a shard that lacks it -> MissingWeightError', async () => {
    const m = tinyModel('mistral', { shards: 2 });
    const index = JSON.parse(new TextDecoder().decode(m.fileMap['model.safetensors.index.json']));
    index.weight_map['model.norm.weight'] = 'model-00001-of-00002.safetensors';
    await rejects(
      openCheckpoint(patched(m, { 'model.safetensors.index.json': enc.encode(JSON.stringify(index)) })),
      MissingWeightError,
      'model.norm.weight',
    );
  });

  it('a damaged shard names the shard file', async () => {
    const m = tinyModel('qwen2', { shards: 2 });
    const f = m.fileMap['model-00002-of-00002.safetensors'];
    await rejects(
      loadModelFromFiles(patched(m, { 'model-00002-of-00002.safetensors': f.subarray(0, 6) })),
      SafetensorsTruncatedError,
      'model-00002-of-00002.safetensors',
    );
    await rejects(
      loadModelFromFiles(patched(m, { 'model-00002-of-00002.safetensors': f.subarray(0, f.length - 1) })),
      SafetensorsRangeError,
      'model-00002-of-00002.safetensors',
    );
  });

  it('store.get is lazy and returns one Param per name', async () => {
    const store = await openCheckpoint(tinyModel('gpt2').files);
    const p = store.get('wte.weight');
    expect(store.get('wte.weight')).toBe(p);
    expect(p.shape).toEqual(store.info('wte.weight').shape);
    expect(() => store.get('nope')).toThrow(MissingWeightError);
    expect(store.raw('wte.weight').dtype).toBe('F32');
  });
});

describe('loadModelFromFiles', () => {
  it('returns config, spec, weights, store, byte and parameter counts', async () => {
    const m = tinyModel('llama-gqa', { dtype: 'f16' });
    const r = await loadModelFromFiles(m.files);
    expect(r.config).toEqual(m.config);
    expect(r.spec.family).toBe('llama');
    expect(r.weightBytes).toBe(2 * r.parameters);
    expect(r.estimate.storedBytes).toBe(r.weightBytes); // torch_dtype float16 -> 2 bytes per parameter
    expect(r.store.files).toEqual(['model.safetensors']);
  });

  it('reads a folder on disk (folderFiles)', async () => {
    const { dir } = writeTinyModel('gpt2', { shards: 2 });
    try {
      const files = folderFiles(dir);
      expect(files.names()).toContain('model.safetensors.index.json');
      const r = await loadModelFromFiles(files);
      expect(r.spec.family).toBe('gpt2');
      await rejects(files.read('nope.json'), MissingFileError, 'nope.json');
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
    expect(() => folderFiles('/no/such/folder')).toThrow(MissingFileError);
  });

  it('takes eos_token_id from generation_config.json when config.json lacks it', async () => {
    const m = tinyModel('qwen2');
    const { eos_token_id: _, ...config } = m.config;
    const r = await loadModelFromFiles(patched(m, { 'config.json': enc.encode(JSON.stringify(config)) }));
    expect(r.spec.eosTokenId).toBe(m.tokenizer.eosId);
  });

  it('missing config.json -> MissingFileError', async () => {
    await rejects(
      loadModelFromFiles(patched(tinyModel('llama-gqa'), { 'config.json': undefined })),
      MissingFileError,
      'config.json',
    );
  });

  it('config.json not JSON -> ConfigError', async () => {
    await rejects(
      loadModelFromFiles(patched(tinyModel('llama-gqa'), { 'config.json': enc.encode('{"model_type": "llama",') })),
      ConfigError,
      'config.json',
    );
    await rejects(
      loadModelFromFiles(patched(tinyModel('llama-gqa'), { 'config.json': enc.encode('[]') })),
      ConfigError,
      'config.json',
    );
  });

  it('no weight files -> MissingFileError (and a hint for .bin-only folders)', async () => {
    const m = tinyModel('llama-gqa');
    await rejects(
      loadModelFromFiles(patched(m, { 'model.safetensors': undefined })),
      MissingFileError,
      'model.safetensors',
    );
    await rejects(
      loadModelFromFiles(patched(m, { 'model.safetensors': undefined, 'pytorch_model.bin': new Uint8Array(4) })),
      MissingFileError,
      'pytorch_model.bin',
      'safetensors',
    );
  });

  it('unsupported model_type -> UnsupportedArchitectureError listing the supported ones, before reading weights', async () => {
    const s = spy(withConfig(tinyModel('llama-gqa'), { model_type: 'phi4mm' }));
    await rejects(
      loadModelFromFiles(s.files),
      UnsupportedArchitectureError,
      'phi4mm',
      'llama, mistral, qwen2, qwen3, granite, smollm3, gemma2, gemma3_text, gemma3, olmo2, phi3, baichuan, gpt2',
    );
    expect(s.reads.some((n) => n.endsWith('.safetensors'))).toBe(false);
  });

  it('missing needed weight -> MissingWeightError naming it', async () => {
    const m = tinyModel('llama-gqa');
    const files = withTensors(m, (names) =>
      names.filter((n) => n !== 'model.layers.1.mlp.up_proj.weight').map((name) => ({ name })),
    );
    const e = await rejects(loadModelFromFiles(files), MissingWeightError, 'model.layers.1.mlp.up_proj.weight');
    expect(e.details.weight).toBe('model.layers.1.mlp.up_proj.weight');
    // an untied config whose checkpoint has no lm_head
    await rejects(
      loadModelFromFiles(withConfig(tinyModel('llama-tied'), { tie_word_embeddings: false })),
      MissingWeightError,
      'lm_head.weight',
    );
    // qwen2 needs the q/k/v biases
    const q = tinyModel('qwen2');
    await rejects(
      loadModelFromFiles(
        withTensors(q, (ns) => ns.filter((n) => !n.endsWith('k_proj.bias')).map((name) => ({ name }))),
      ),
      MissingWeightError,
      'k_proj.bias',
    );
  });

  it('config/weight shape mismatch -> ShapeMismatchError with weight, expected and actual shape, before any load', async () => {
    const m = tinyModel('llama-gqa');
    const e = await rejects(
      loadModelFromFiles(withConfig(m, { intermediate_size: 65 })),
      ShapeMismatchError,
      'model.layers.0.mlp.gate_proj.weight',
      '[64, 32]',
      '[65, 32]',
    );
    expect(e.details).toMatchObject({
      weight: 'model.layers.0.mlp.gate_proj.weight',
      expected: [65, 32],
      actual: [64, 32],
    });
    await rejects(
      loadModelFromFiles(withConfig(m, { num_key_value_heads: 4 })),
      ShapeMismatchError,
      'k_proj.weight',
      '[16, 32]',
      '[32, 32]',
    );
    await rejects(
      loadModelFromFiles(withConfig(tinyModel('gpt2'), { n_positions: 32 })),
      ShapeMismatchError,
      'wpe.weight',
    );
    // the mismatched tensor is the last one in the file: still found by the up-front check, with nothing decoded
    const last = withTensors(m, (names) =>
      names.map((name) =>
        name === 'lm_head.weight' ? { name, shape: [10, 32], data: new Float32Array(320) } : { name },
      ),
    );
    await rejects(loadModelFromFiles(last), ShapeMismatchError, 'lm_head.weight', '[10, 32]');
  });

  it('a quantized (integer-dtype) weight -> SafetensorsDtypeError naming it, before any load', async () => {
    const m = tinyModel('llama-gqa');
    const entries = [...m.tensors].map(([name, t]) =>
      name === 'model.layers.0.self_attn.q_proj.weight'
        ? { name, dtype: 'I8' as const, shape: t.shape, data: new Uint8Array(t.data.length) }
        : { name, dtype: 'F32' as const, shape: t.shape, data: t.data },
    );
    await rejects(
      loadModelFromFiles(patched(m, { 'model.safetensors': writeSafetensors(entries) })),
      SafetensorsDtypeError,
      'model.layers.0.self_attn.q_proj.weight',
      'I8',
    );
  });

  it('model too large -> ModelTooLargeError from config.json alone, before any weight file is read', async () => {
    const m = tinyModel('llama-gqa', { shards: 2 });
    const s = spy(m.files);
    const loaded = await loadModelFromFiles(m.files);
    expect(loaded.precision).toBe('fp32'); // no limits: the exact path
    const e = await rejects(
      loadModelFromFiles(s.files, { maxWeightBytes: 100_000, name: 'tiny-llama' }),
      ModelTooLargeError,
      'tiny-llama',
      `${(loaded.parameters / 1e6).toFixed(1)}M parameters`,
      'fp32: needs about',
      'q4: needs about',
      '97.7 KiB available',
    );
    const est = (e.details as { estimates: { precision: string; fits: boolean; peakBytes: number }[] }).estimates;
    expect(est.map((x) => x.precision)).toEqual(['fp32', 'fp16', 'q8', 'q4']);
    expect(est.every((x) => !x.fits && x.peakBytes > 100_000)).toBe(true);
    expect(s.reads.filter((n) => n.endsWith('.safetensors'))).toEqual([]);
    // the largest single buffer against a device buffer limit
    await rejects(loadModelFromFiles(m.files, { maxTensorBytes: 1024 }), ModelTooLargeError, 'largest buffer');
    // a budget between the fp32 and the q8 peaks: the most precise precision that fits is chosen
    const a = admit(loaded.spec);
    const peak = (p: string) => a.estimates.find((x) => x.precision === p)?.peakBytes as number;
    expect(peak('fp32')).toBeGreaterThan(peak('fp16'));
    expect(peak('fp16')).toBeGreaterThan(peak('q8'));
    const r = await loadModelFromFiles(m.files, { maxWeightBytes: peak('fp16') - 1 });
    expect(r.precision).toBe('q8');
    // fp32 asked for but over the budget: refused, naming the best that fits
    await rejects(
      loadModelFromFiles(m.files, { maxWeightBytes: peak('fp16') - 1, weights: 'fp32' }),
      ModelTooLargeError,
      'at fp32',
      'q8',
    );
    // within limits: loads at fp32
    await expect(loadModelFromFiles(m.files, { maxWeightBytes: peak('fp32') })).resolves.toMatchObject({
      precision: 'fp32',
    });
  });

  it('a 7B config is refused for a 4 GiB budget with the estimate per precision in the message', async () => {
    const m = tinyModel('mistral');
    const big = {
      ...m.config,
      hidden_size: 4096,
      intermediate_size: 14336,
      num_hidden_layers: 32,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      vocab_size: 32000,
    };
    const s = spy(patched(m, { 'config.json': enc.encode(JSON.stringify(big)) }));
    await rejects(
      loadModelFromFiles(s.files, { maxWeightBytes: 4 * 2 ** 30 }),
      ModelTooLargeError,
      '7241.7M parameters',
      'fp32: needs about',
      'q4: needs about',
      '4.00 GiB',
    );
    expect(s.reads).not.toContain('model.safetensors');
  });

  it('parse errors from a corrupted single file surface with their class', async () => {
    const m = tinyModel('gpt2');
    const f = m.fileMap['model.safetensors'];
    await rejects(
      loadModelFromFiles(patched(m, { 'model.safetensors': f.subarray(0, 4) })),
      SafetensorsTruncatedError,
      'model.safetensors',
    );
    const hdr = parse(f); // sanity: the untouched file parses
    expect(hdr.tensors.size).toBe(m.tensors.size);
  });
});
