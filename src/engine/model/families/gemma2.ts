/**
 * model_type "gemma2": Gemma 2 (2B, 9B, 27B). Llama's weight names and GQA with:
 *   - sandwich norms: m = x + postN(Attn(N(x))), x' = m + postN(MLP(N(m))), whose weights are
 *     input_layernorm, post_attention_layernorm, pre_feedforward_layernorm, post_feedforward_layernorm
 *     (post_attention_layernorm is an attention role here, not the MLP's pre-norm as in llama);
 *   - Gemma's RMSNorm multiplies by (1 + w): the 1 is added where the weights load (TensorRef.offset),
 *     in float32 as transformers does, so the forward pass is a plain RMSNorm;
 *   - the embedding times sqrt(hidden_size) (transformers casts this normalizer to the compute dtype:
 *     DropLab computes in float32, so its figures are float32 Gemma's);
 *   - attention scale query_pre_attn_scalar^-0.5, attention scores and final logits soft-capped
 *     (cap * tanh(x / cap)), a sliding window on the local layers (layer_types, else every even layer);
 *   - a gated MLP with hidden_activation (gelu_pytorch_tanh), no biases, tied embeddings.
 * Defaults from transformers' Gemma2Config.
 */
import { ConfigError } from '../../errors';
import type { ModelSpec } from '../spec';
import { positiveInt, positiveNumber, show } from './config';
import { llamaLikeSpec } from './llama-like';
import type { Family, FamilyDefaults, LinearRef, NormRef, RawConfig, TensorRef, WeightPlan } from './types';

const defaults: FamilyDefaults = {
  tieWordEmbeddings: true,
  normEps: 1e-6,
  ropeTheta: 10000,
  hiddenAct: 'gelu_pytorch_tanh',
  bosTokenId: 2,
  eosTokenId: 1,
};

/** A positive number, its class default when absent, or undefined (off) when config.json says null. */
function capOrOff(c: RawConfig, key: string, fallback: number): number | undefined {
  if (Object.hasOwn(c, key) && c[key] === null) return undefined;
  return positiveNumber(c, [key], fallback);
}

/** Per layer: the sliding window of a local layer, null for a global one. */
function layerWindows(c: RawConfig, L: number): (number | null)[] | undefined {
  if (Object.hasOwn(c, 'sliding_window') && c.sliding_window === null) return undefined;
  const size = positiveInt(c, ['sliding_window'], 4096);
  const types = c.layer_types;
  if (types === undefined || types === null) return Array.from({ length: L }, (_, l) => (l % 2 === 0 ? size : null));
  if (!Array.isArray(types) || types.length !== L || types.some((t) => t !== 'sliding_attention' && t !== 'full_attention'))
    throw new ConfigError(
      `config.json: layer_types must list "sliding_attention" or "full_attention" for each of the ${L} layers, got ${show(types)}.`,
      { key: 'layer_types' },
    );
  return types.map((t) => (t === 'sliding_attention' ? size : null));
}

function spec(c: RawConfig, fallback?: { eosTokenId?: number | null }): ModelSpec {
  // Gemma2Config names the activation hidden_activation (hidden_act is its legacy spelling).
  const act = c.hidden_activation ?? c.hidden_act ?? defaults.hiddenAct;
  const base = llamaLikeSpec('gemma2', { ...c, hidden_act: act }, defaults, { qkvBias: false, oBias: false, mlpBias: false }, fallback);
  if (Object.hasOwn(c, 'attention_bias') && c.attention_bias === true)
    throw new ConfigError('config.json: Gemma 2 with attention_bias=true is not supported (no released model has it).');
  const windows = layerWindows(c, base.numLayers);
  const attnSoftcap = capOrOff(c, 'attn_logit_softcapping', 50);
  const finalSoftcap = capOrOff(c, 'final_logit_softcapping', 30);
  return {
    ...base,
    normPlacement: 'sandwich',
    embedScale: Math.sqrt(base.hiddenSize),
    attnScale: positiveNumber(c, ['query_pre_attn_scalar'], 256) ** -0.5,
    ...(attnSoftcap ? { attnSoftcap } : {}),
    ...(finalSoftcap ? { finalSoftcap } : {}),
    ...(windows ? { layerWindows: windows } : {}),
  };
}

function plan(s: ModelSpec, prefix: string): WeightPlan {
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I, vocabSize: V } = s;
  const t = (name: string, shape: number[], extra: Partial<TensorRef> = {}): TensorRef => ({ name: prefix + name, shape, ...extra });
  const linear = (name: string, out: number, inp: number): LinearRef => ({ weight: t(`${name}.weight`, [out, inp]), bias: null });
  // Gemma's RMSNorm: x_normed * (1 + w); the 1 joins the weight at load.
  const norm = (name: string): NormRef => ({ weight: t(`${name}.weight`, [d], { offset: 1 }), bias: null });
  const layers = Array.from({ length: s.numLayers }, (_, i) => {
    const p = `layers.${i}`;
    return {
      attnNorm: norm(`${p}.input_layernorm`),
      q: linear(`${p}.self_attn.q_proj`, H * hd, d),
      k: linear(`${p}.self_attn.k_proj`, Hkv * hd, d),
      v: linear(`${p}.self_attn.v_proj`, Hkv * hd, d),
      o: linear(`${p}.self_attn.o_proj`, d, H * hd),
      attnPostNorm: norm(`${p}.post_attention_layernorm`),
      mlpNorm: norm(`${p}.pre_feedforward_layernorm`),
      gate: linear(`${p}.mlp.gate_proj`, I, d),
      up: linear(`${p}.mlp.up_proj`, I, d),
      down: linear(`${p}.mlp.down_proj`, d, I),
      mlpPostNorm: norm(`${p}.post_feedforward_layernorm`),
    };
  });
  return {
    embed: t('embed_tokens.weight', [V, d]),
    posEmbed: null,
    layers,
    finalNorm: norm('norm'),
    lmHead: s.tiedEmbeddings ? 'tied' : { name: 'lm_head.weight', shape: [V, d] },
  };
}

export const gemma2: Family = {
  name: 'gemma2',
  modelTypes: ['gemma2'],
  architectures: ['Gemma2ForCausalLM'],
  prefixes: ['model.', ''],
  spec,
  plan,
};
