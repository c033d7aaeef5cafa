/**
 * The table of popular models in docs/PRECISION.md: for each, from its config.json numbers (written
 * here; no network), the engine's predicted peak at every weight precision (src/engine/model/admission.ts)
 * and which precisions each backend admits. Run: npx tsx scripts/admission-table.ts (prints Markdown;
 * --write replaces the table between the markers in docs/PRECISION.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { admit, type DeviceLimits, GiB } from '../src/engine/model/admission';
import { specFromConfig } from '../src/engine/model/families';

type Row = { name: string; config: Record<string, unknown> };

const llama = (o: Record<string, unknown>) => ({
  model_type: 'llama',
  hidden_act: 'silu',
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  max_position_embeddings: 8192,
  ...o,
});

// Numbers from each model's config.json on the Hub.
const MODELS: Row[] = [
  {
    name: 'SmolLM2-135M',
    config: llama({
      hidden_size: 576,
      intermediate_size: 1536,
      num_hidden_layers: 30,
      num_attention_heads: 9,
      num_key_value_heads: 3,
      vocab_size: 49152,
      tie_word_embeddings: true,
    }),
  },
  {
    name: 'SmolLM2-360M',
    config: llama({
      hidden_size: 960,
      intermediate_size: 2560,
      num_hidden_layers: 32,
      num_attention_heads: 15,
      num_key_value_heads: 5,
      vocab_size: 49152,
      tie_word_embeddings: true,
    }),
  },
  {
    name: 'SmolLM2-1.7B',
    config: llama({
      hidden_size: 2048,
      intermediate_size: 8192,
      num_hidden_layers: 24,
      num_attention_heads: 32,
      num_key_value_heads: 32,
      vocab_size: 49152,
      tie_word_embeddings: true,
    }),
  },
  {
    name: 'Qwen2.5-0.5B',
    config: {
      model_type: 'qwen2',
      hidden_act: 'silu',
      rms_norm_eps: 1e-6,
      rope_theta: 1e6,
      max_position_embeddings: 32768,
      hidden_size: 896,
      intermediate_size: 4864,
      num_hidden_layers: 24,
      num_attention_heads: 14,
      num_key_value_heads: 2,
      vocab_size: 151936,
      tie_word_embeddings: true,
    },
  },
  {
    name: 'Qwen2.5-1.5B',
    config: {
      model_type: 'qwen2',
      hidden_act: 'silu',
      rms_norm_eps: 1e-6,
      rope_theta: 1e6,
      max_position_embeddings: 32768,
      hidden_size: 1536,
      intermediate_size: 8960,
      num_hidden_layers: 28,
      num_attention_heads: 12,
      num_key_value_heads: 2,
      vocab_size: 151936,
      tie_word_embeddings: true,
    },
  },
  {
    name: 'Qwen2.5-3B',
    config: {
      model_type: 'qwen2',
      hidden_act: 'silu',
      rms_norm_eps: 1e-6,
      rope_theta: 1e6,
      max_position_embeddings: 32768,
      hidden_size: 2048,
      intermediate_size: 11008,
      num_hidden_layers: 36,
      num_attention_heads: 16,
      num_key_value_heads: 2,
      vocab_size: 151936,
      tie_word_embeddings: true,
    },
  },
  {
    name: 'Qwen3-0.6B',
    config: {
      model_type: 'qwen3',
      hidden_act: 'silu',
      rms_norm_eps: 1e-6,
      rope_theta: 1e6,
      max_position_embeddings: 40960,
      hidden_size: 1024,
      intermediate_size: 3072,
      num_hidden_layers: 28,
      num_attention_heads: 16,
      num_key_value_heads: 8,
      head_dim: 128,
      vocab_size: 151936,
      tie_word_embeddings: true,
    },
  },
  {
    name: 'Qwen3-1.7B',
    config: {
      model_type: 'qwen3',
      hidden_act: 'silu',
      rms_norm_eps: 1e-6,
      rope_theta: 1e6,
      max_position_embeddings: 40960,
      hidden_size: 2048,
      intermediate_size: 6144,
      num_hidden_layers: 28,
      num_attention_heads: 16,
      num_key_value_heads: 8,
      head_dim: 128,
      vocab_size: 151936,
      tie_word_embeddings: true,
    },
  },
  {
    name: 'Qwen3-4B',
    config: {
      model_type: 'qwen3',
      hidden_act: 'silu',
      rms_norm_eps: 1e-6,
      rope_theta: 1e6,
      max_position_embeddings: 40960,
      hidden_size: 2560,
      intermediate_size: 9728,
      num_hidden_layers: 36,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: 128,
      vocab_size: 151936,
      tie_word_embeddings: true,
    },
  },
  {
    name: 'Llama-3.2-1B',
    config: llama({
      hidden_size: 2048,
      intermediate_size: 8192,
      num_hidden_layers: 16,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      head_dim: 64,
      vocab_size: 128256,
      tie_word_embeddings: true,
      rope_theta: 500000,
      max_position_embeddings: 131072,
    }),
  },
  {
    name: 'Llama-3.2-3B',
    config: llama({
      hidden_size: 3072,
      intermediate_size: 8192,
      num_hidden_layers: 28,
      num_attention_heads: 24,
      num_key_value_heads: 8,
      head_dim: 128,
      vocab_size: 128256,
      tie_word_embeddings: true,
      rope_theta: 500000,
      max_position_embeddings: 131072,
    }),
  },
  {
    name: 'Gemma-2-2B',
    config: {
      model_type: 'gemma2',
      hidden_activation: 'gelu_pytorch_tanh',
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      max_position_embeddings: 8192,
      hidden_size: 2304,
      intermediate_size: 9216,
      num_hidden_layers: 26,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      head_dim: 256,
      vocab_size: 256000,
      query_pre_attn_scalar: 256,
      sliding_window: 4096,
      attn_logit_softcapping: 50,
      final_logit_softcapping: 30,
      tie_word_embeddings: true,
    },
  },
  {
    name: 'Gemma-3-1B',
    config: {
      model_type: 'gemma3_text',
      hidden_activation: 'gelu_pytorch_tanh',
      rms_norm_eps: 1e-6,
      rope_theta: 1e6,
      rope_local_base_freq: 10000,
      max_position_embeddings: 32768,
      hidden_size: 1152,
      intermediate_size: 6912,
      num_hidden_layers: 26,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      head_dim: 256,
      vocab_size: 262144,
      query_pre_attn_scalar: 256,
      sliding_window: 512,
      sliding_window_pattern: 6,
      tie_word_embeddings: true,
    },
  },
  {
    name: 'Phi-3.5-mini',
    config: {
      model_type: 'phi3',
      hidden_act: 'silu',
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      max_position_embeddings: 4096,
      original_max_position_embeddings: 4096,
      hidden_size: 3072,
      intermediate_size: 8192,
      num_hidden_layers: 32,
      num_attention_heads: 32,
      num_key_value_heads: 32,
      vocab_size: 32064,
      tie_word_embeddings: false,
    },
  },
  {
    name: 'Mistral-7B-v0.3',
    config: {
      model_type: 'mistral',
      hidden_act: 'silu',
      rms_norm_eps: 1e-5,
      rope_theta: 1e6,
      max_position_embeddings: 32768,
      hidden_size: 4096,
      intermediate_size: 14336,
      num_hidden_layers: 32,
      num_attention_heads: 32,
      num_key_value_heads: 8,
      vocab_size: 32768,
      tie_word_embeddings: false,
    },
  },
];

/** The backends of the table, with their assumptions (stated in docs/PRECISION.md). */
const BACKENDS: { name: string; limits: DeviceLimits }[] = [
  { name: 'wasm, deviceMemory 4 (2 GiB)', limits: { budgetBytes: 2 * GiB, wasm32: true } },
  { name: 'wasm, deviceMemory 8+ (4 GiB)', limits: { budgetBytes: 4 * GiB, wasm32: true } },
  {
    name: 'WebGPU, 4 GiB budget',
    limits: { budgetBytes: 4 * GiB, maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 2 * GiB, f16: true },
  },
  {
    name: 'WebGPU, 8 GiB budget',
    limits: { budgetBytes: 8 * GiB, maxBufferSize: 4 * GiB, maxStorageBufferBindingSize: 2 * GiB, f16: true },
  },
];

const gib = (b: number) => (b / GiB).toFixed(2);
const lines = [
  `| model | parameters | peak fp32 | peak fp16 | peak q8 | peak q4 | wasm peak fp32 / q8 | ${BACKENDS.map((b) => b.name).join(' | ')} |`,
  `|---|---:|---:|---:|---:|---:|---:|${BACKENDS.map(() => '---').join('|')}|`,
];
for (const m of MODELS) {
  const spec = specFromConfig({ eos_token_id: 0, ...m.config }); // eos does not change memory
  const base = admit(spec);
  const peaks = base.estimates.map((e) => gib(e.peakBytes));
  const onWasm = admit(spec, { wasm32: true }).estimates;
  const wasmPeaks = ['fp32', 'q8'].map((p) => gib(onWasm.find((e) => e.precision === p)?.peakBytes ?? 0)).join(' / ');
  const cells = BACKENDS.map((b) => {
    const a = admit(spec, b.limits);
    return a.fitting.length ? a.fitting.join(' ') : 'none';
  });
  lines.push(
    `| ${m.name} | ${(base.parameters / 1e9).toFixed(2)}B | ${peaks.join(' | ')} | ${wasmPeaks} | ${cells.join(' | ')} |`,
  );
}
const table = lines.join('\n');
if (process.argv.includes('--write')) {
  const path = join(import.meta.dirname, '../docs/PRECISION.md');
  const doc = readFileSync(path, 'utf8');
  const a = doc.indexOf('<!-- admission-table -->');
  const b = doc.indexOf('<!-- /admission-table -->');
  if (a < 0 || b < 0) throw new Error('docs/PRECISION.md has no admission-table markers');
  writeFileSync(path, `${doc.slice(0, a)}<!-- admission-table -->\n${table}\n${doc.slice(b)}`);
} else console.log(table);
