/**
 * The models the engine benchmark runs on: a tiny random fixture, the bundled trained model (when it is
 * there), and a random llama of SmolLM2-135M's shape, built in memory with the fixture tokenizer and
 * the engine's safetensors writer (random weights time exactly like trained ones).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { folderFiles } from '../src/cli/node-files';
import type { ModelFiles } from '../src/engine/api';
import { memoryFiles } from '../src/engine/files';
import { writeSafetensors } from '../src/engine/model/safetensors';
import { mulberry32, tinyModel } from '../tests/fixtures/tiny-models';
import { tinyTokenizer } from '../tests/fixtures/tiny-tokenizers';

export interface BenchModel {
  id: string;
  description: string;
  files: ModelFiles;
  /** Window length and windows per measurement. */
  seqLen: number;
  windows: number;
  /** Measured repetitions (after one warm-up). */
  reps: number;
  /** Toggle every k-th sublayer for (a) (1 = every sublayer). */
  toggleStride: number;
}

export const BUNDLED_DIR = 'public/models/droplab-byte-12l';

export function tinyBench(): BenchModel {
  const t = tinyModel('llama-gqa');
  return {
    id: 'tiny-llama-gqa',
    description: 'tiny random llama fixture (3 layers, d=32, GQA 4/2 heads, I=64, V=293)',
    files: t.files,
    seqLen: 128,
    windows: 8,
    reps: 7,
    toggleStride: 1,
  };
}

export function bundledBench(root: string): BenchModel | null {
  const dir = join(root, BUNDLED_DIR);
  if (!existsSync(join(dir, 'config.json')) || !existsSync(join(dir, 'model.safetensors'))) return null;
  return {
    id: 'droplab-byte-12l',
    description:
      'the bundled trained model (public/models/droplab-byte-12l: 12 layers, d=128, GQA 4/2 heads, I=384, V=257)',
    files: folderFiles(dir),
    seqLen: 256,
    windows: 8,
    reps: 5,
    toggleStride: 1,
  };
}

/** SmolLM2-135M's config.json dimensions (HuggingFaceTB/SmolLM2-135M). */
export const SMOL_SHAPE = { d: 576, L: 30, H: 9, Hkv: 3, hd: 64, I: 1536, V: 49152, P: 8192 };

/**
 * A random llama with SmolLM2-135M's shape (134.5M parameters, tied embeddings), f32, in memory.
 * Uniform weights with std 0.02 (like its initializer); norms 1. The tokenizer is the tiny byte-level
 * fixture (its ids are < V; the LM head still computes all V logits).
 */
export function smolShapeBench(
  opts: { seqLen?: number; windows?: number; reps?: number; toggleStride?: number; layers?: number } = {},
): BenchModel {
  const { d, H, Hkv, hd, I, V, P } = SMOL_SHAPE;
  const L = opts.layers ?? SMOL_SHAPE.L;
  const tok = tinyTokenizer('gpt2', { specialsFirst: true });
  const rand = mulberry32(135);
  const a = 0.02 * Math.sqrt(3); // uniform [-a, a] has std 0.02
  const uniform = (n: number) => {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = (2 * rand() - 1) * a;
    return x;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);
  const entries: { name: string; dtype: 'F32'; shape: number[]; data: Float32Array }[] = [];
  const add = (name: string, shape: number[], data: Float32Array) => entries.push({ name, dtype: 'F32', shape, data });
  add('model.embed_tokens.weight', [V, d], uniform(V * d));
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    add(`${p}.input_layernorm.weight`, [d], ones(d));
    add(`${p}.self_attn.q_proj.weight`, [H * hd, d], uniform(H * hd * d));
    add(`${p}.self_attn.k_proj.weight`, [Hkv * hd, d], uniform(Hkv * hd * d));
    add(`${p}.self_attn.v_proj.weight`, [Hkv * hd, d], uniform(Hkv * hd * d));
    add(`${p}.self_attn.o_proj.weight`, [d, H * hd], uniform(d * H * hd));
    add(`${p}.post_attention_layernorm.weight`, [d], ones(d));
    add(`${p}.mlp.gate_proj.weight`, [I, d], uniform(I * d));
    add(`${p}.mlp.up_proj.weight`, [I, d], uniform(I * d));
    add(`${p}.mlp.down_proj.weight`, [d, I], uniform(d * I));
  }
  add('model.norm.weight', [d], ones(d));
  const config = {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    bos_token_id: tok.bosId ?? 0,
    eos_token_id: tok.eosId,
    hidden_act: 'silu',
    hidden_size: d,
    intermediate_size: I,
    max_position_embeddings: P,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: H,
    num_hidden_layers: L,
    num_key_value_heads: Hkv,
    rms_norm_eps: 1e-5,
    rope_scaling: null,
    rope_theta: 100000,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
    vocab_size: V,
  };
  const enc = new TextEncoder();
  const files = memoryFiles(
    {
      'config.json': enc.encode(JSON.stringify(config)),
      'tokenizer.json': enc.encode(JSON.stringify(tok.tokenizerJson)),
      'tokenizer_config.json': enc.encode(JSON.stringify(tok.tokenizerConfig)),
      'model.safetensors': writeSafetensors(entries, { format: 'pt' }),
    },
    'smollm2-135m-shape',
  );
  return {
    id: L === SMOL_SHAPE.L ? 'smollm2-135m-shape' : `smollm2-135m-shape-${L}l`,
    description: `random llama of SmolLM2-135M's shape (${L} layers, d=${d}, GQA ${H}/${Hkv} heads, I=${I}, V=${V}, tied)`,
    files,
    seqLen: opts.seqLen ?? 128,
    windows: opts.windows ?? 2,
    reps: opts.reps ?? 3,
    toggleStride: opts.toggleStride ?? 5,
  };
}
