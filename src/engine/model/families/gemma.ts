/**
 * Gemma 2 (model_type "gemma2": 2B, 9B, 27B) and Gemma 3 text (model_type "gemma3_text": 270M, 1B).
 * Llama's weight names and GQA with:
 *   - sandwich norms: m = x + postN(Attn(N(x))), x' = m + postN(MLP(N(m))), whose weights are
 *     input_layernorm, post_attention_layernorm, pre_feedforward_layernorm, post_feedforward_layernorm
 *     (post_attention_layernorm is an attention role here, not the MLP's pre-norm as in llama);
 *   - Gemma's RMSNorm multiplies by (1 + w): the 1 is added where the weights load (TensorRef.offset),
 *     in float32 as transformers does, so the forward pass is a plain RMSNorm;
 *   - the embedding times sqrt(hidden_size) (transformers casts this normalizer to the compute dtype:
 *     DropLab computes in float32, so its figures are float32 Gemma's);
 *   - attention scale query_pre_attn_scalar^-0.5, a sliding window on the local layers;
 *   - a gated MLP with hidden_activation (gelu_pytorch_tanh), no biases, tied embeddings.
 * Gemma 2: attention scores and final logits soft-capped (cap * tanh(x / cap)); every even layer local
 * (layer_types, else i % 2 == 0). Gemma 3: no soft-caps; per-head q/k norms (1 + w) before RoPE; five
 * local layers to one global (layer_types, else (i + 1) % sliding_window_pattern != 0); the local layers'
 * RoPE base is rope_local_base_freq, the global ones' rope_theta with rope_scaling.
 * Gemma 3's image-text checkpoints (model_type "gemma3", Gemma3ForConditionalGeneration: gemma-3-4b and
 * larger) are read as their text model: the language model's config is config.json's text_config (keys
 * it omits take Gemma3TextConfig's defaults; bos/eos/pad from the top level when text_config has none),
 * its weights live under language_model.model.* (transformers < 4.52) or model.language_model.*, and the
 * vision tower and projector tensors are never read.
 * Defaults from transformers' Gemma2Config and Gemma3TextConfig.
 */
import { ConfigError } from '../../errors';
import type { ModelSpec } from '../spec';
import { positiveInt, positiveNumber, show } from './config';
import { llamaLikeSpec } from './llama-like';
import { refMakers } from './refs';
import type { Family, FamilyDefaults, NormRef, RawConfig, WeightPlan } from './types';

interface GemmaRow {
  name: 'gemma2' | 'gemma3';
  modelTypes: readonly string[];
  architectures: readonly string[];
  defaults: FamilyDefaults;
  /** Class defaults of the soft-caps (undefined: off unless config.json sets one). */
  attnSoftcap?: number;
  finalSoftcap?: number;
  /** Whether layer l is local when config.json has no layer_types. */
  isLocal(l: number, c: RawConfig): boolean;
  /** Per-head q/k norms (gemma3). */
  qkNorm: boolean;
  /** Default rope_local_base_freq (gemma3); undefined: one RoPE for all layers. */
  localRopeTheta?: number;
}

/** A positive number, its class default when absent, or undefined (off) when config.json says null or has no default. */
function capOrOff(c: RawConfig, key: string, fallback: number | undefined): number | undefined {
  if (Object.hasOwn(c, key) && c[key] === null) return undefined;
  if (fallback === undefined && !Object.hasOwn(c, key)) return undefined;
  return positiveNumber(c, [key], fallback ?? 1);
}

/** Per layer: the sliding window of a local layer, null for a global one. */
function layerWindows(row: GemmaRow, c: RawConfig, L: number): (number | null)[] | undefined {
  if (Object.hasOwn(c, 'sliding_window') && c.sliding_window === null) return undefined;
  const size = positiveInt(c, ['sliding_window'], 4096);
  const types = c.layer_types;
  if (types === undefined || types === null)
    return Array.from({ length: L }, (_, l) => (row.isLocal(l, c) ? size : null));
  if (
    !Array.isArray(types) ||
    types.length !== L ||
    types.some((t) => t !== 'sliding_attention' && t !== 'full_attention')
  )
    throw new ConfigError(
      `config.json: layer_types must list "sliding_attention" or "full_attention" for each of the ${L} layers, got ${show(types)}.`,
      { key: 'layer_types' },
    );
  return types.map((t) => (t === 'sliding_attention' ? size : null));
}

function gemmaSpec(row: GemmaRow, c: RawConfig, fallback?: { eosTokenId?: number | null }): ModelSpec {
  // The config classes name the activation hidden_activation (hidden_act is a legacy spelling).
  const act = c.hidden_activation ?? c.hidden_act ?? row.defaults.hiddenAct;
  const base = llamaLikeSpec(
    row.name,
    { ...c, hidden_act: act },
    row.defaults,
    { qkvBias: false, oBias: false, mlpBias: false },
    fallback,
  );
  if (Object.hasOwn(c, 'attention_bias') && c.attention_bias === true)
    throw new ConfigError(
      `config.json: ${row.name} with attention_bias=true is not supported (no released model has it).`,
    );
  const windows = layerWindows(row, c, base.numLayers);
  const attnSoftcap = capOrOff(c, 'attn_logit_softcapping', row.attnSoftcap);
  const finalSoftcap = capOrOff(c, 'final_logit_softcapping', row.finalSoftcap);
  const localTheta =
    row.localRopeTheta === undefined ? undefined : positiveNumber(c, ['rope_local_base_freq'], row.localRopeTheta);
  return {
    ...base,
    normPlacement: 'sandwich',
    embedScale: Math.sqrt(base.hiddenSize),
    attnScale: positiveNumber(c, ['query_pre_attn_scalar'], 256) ** -0.5,
    ...(row.qkNorm ? { qkNorm: 'head' as const } : {}),
    ...(attnSoftcap ? { attnSoftcap } : {}),
    ...(finalSoftcap ? { finalSoftcap } : {}),
    ...(windows ? { layerWindows: windows } : {}),
    ...(localTheta !== undefined ? { localRope: { theta: localTheta, scaling: null } } : {}),
  };
}

function plan(s: ModelSpec, prefix: string): WeightPlan {
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I } = s;
  const { linear, norm: rms, body } = refMakers(s, prefix);
  // Gemma's RMSNorm: x_normed * (1 + w); the 1 joins the weight at load.
  const norm = (name: string, n = d): NormRef => rms(name, n, { offset: 1 });
  const layers = Array.from({ length: s.numLayers }, (_, i) => {
    const p = `layers.${i}`;
    return {
      attnNorm: norm(`${p}.input_layernorm`),
      q: linear(`${p}.self_attn.q_proj`, H * hd, d),
      k: linear(`${p}.self_attn.k_proj`, Hkv * hd, d),
      v: linear(`${p}.self_attn.v_proj`, Hkv * hd, d),
      o: linear(`${p}.self_attn.o_proj`, d, H * hd),
      ...(s.qkNorm === 'head'
        ? { qNorm: norm(`${p}.self_attn.q_norm`, hd), kNorm: norm(`${p}.self_attn.k_norm`, hd) }
        : {}),
      attnPostNorm: norm(`${p}.post_attention_layernorm`),
      mlpNorm: norm(`${p}.pre_feedforward_layernorm`),
      gate: linear(`${p}.mlp.gate_proj`, I, d),
      up: linear(`${p}.mlp.up_proj`, I, d),
      down: linear(`${p}.mlp.down_proj`, d, I),
      mlpPostNorm: norm(`${p}.post_feedforward_layernorm`),
    };
  });
  return body(layers, norm('norm'));
}

/** Gemma3TextConfig's defaults of the keys DropLab needs a value for (an image-text config's text_config omits them). */
const GEMMA3_TEXT_DEFAULTS: RawConfig = {
  vocab_size: 262208,
  hidden_size: 2304,
  intermediate_size: 9216,
  num_hidden_layers: 26,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 256,
  max_position_embeddings: 131072,
};

/** An image-text Gemma 3 config (model_type "gemma3", or no model_type and a text_config). */
export function isImageTextGemma(c: RawConfig): boolean {
  return c.model_type === 'gemma3' || (c.model_type === undefined && Object.hasOwn(c, 'text_config'));
}

/**
 * The language model's config of an image-text Gemma 3 (model_type "gemma3"): its text_config over
 * Gemma3TextConfig's defaults, with the top level's token ids where text_config has none. A text config
 * (gemma3_text) is returned as it is.
 */
export function gemmaTextConfig(c: RawConfig): RawConfig {
  if (!isImageTextGemma(c)) return c;
  const t = c.text_config;
  if (t === null || typeof t !== 'object' || Array.isArray(t))
    throw new ConfigError(
      `config.json: an image-text Gemma 3 (model_type "gemma3") keeps its language model's config in text_config, which is ${show(t)} here.`,
      { key: 'text_config' },
    );
  const ids: RawConfig = {};
  for (const k of ['bos_token_id', 'eos_token_id', 'pad_token_id']) if (Object.hasOwn(c, k)) ids[k] = c[k];
  return { ...GEMMA3_TEXT_DEFAULTS, ...ids, ...(t as RawConfig), model_type: 'gemma3_text' };
}

function gemmaFamily(row: GemmaRow): Family {
  return {
    name: row.name,
    modelTypes: row.modelTypes,
    architectures: row.architectures,
    // text checkpoints: model.* (or bare); image-text Gemma 3: language_model.model.* or model.language_model.*
    prefixes: row.name === 'gemma3' ? ['model.', '', 'language_model.model.', 'model.language_model.'] : ['model.', ''],
    spec: (c, fallback) => gemmaSpec(row, row.name === 'gemma3' ? gemmaTextConfig(c) : c, fallback),
    plan,
  };
}

const GEMMA_DEFAULTS: FamilyDefaults = {
  tieWordEmbeddings: true,
  normEps: 1e-6,
  ropeTheta: 10000,
  hiddenAct: 'gelu_pytorch_tanh',
  bosTokenId: 2,
  eosTokenId: 1,
};

export const GEMMA = {
  gemma2: gemmaFamily({
    name: 'gemma2',
    modelTypes: ['gemma2'],
    architectures: ['Gemma2ForCausalLM'],
    defaults: GEMMA_DEFAULTS,
    attnSoftcap: 50,
    finalSoftcap: 30,
    isLocal: (l) => l % 2 === 0,
    qkNorm: false,
  }),
  gemma3: gemmaFamily({
    name: 'gemma3',
    modelTypes: ['gemma3_text', 'gemma3'],
    architectures: ['Gemma3ForCausalLM', 'Gemma3ForConditionalGeneration'],
    defaults: { ...GEMMA_DEFAULTS, ropeTheta: 1_000_000 },
    isLocal: (l, c) => (l + 1) % positiveInt(c, ['sliding_window_pattern'], 6) !== 0,
    qkNorm: true,
    localRopeTheta: 10_000,
  }),
} as const;
