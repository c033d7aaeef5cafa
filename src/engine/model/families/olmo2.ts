/**
 * model_type "olmo2": OLMo 2 (1B, 7B, 13B, 32B). Llama's weight names, GQA, RoPE and SwiGLU with:
 *   - post-norms only: m = x + postN(Attn(x)), x' = m + postN(MLP(m)); the weights are
 *     post_attention_layernorm and post_feedforward_layernorm, there is no input norm;
 *   - q/k norms over the whole projection (q_norm [H*hd], k_norm [Hkv*hd]) before the split into heads
 *     and RoPE.
 * Defaults from transformers' Olmo2Config (eos 50279, no bos, rms_norm_eps 1e-5, untied).
 */
import type { ModelSpec } from '../spec';
import { bool } from './config';
import { llamaLikeSpec } from './llama-like';
import { refMakers } from './refs';
import type { Family, FamilyDefaults, RawConfig, WeightPlan } from './types';

const defaults: FamilyDefaults = {
  tieWordEmbeddings: false,
  normEps: 1e-5,
  ropeTheta: 10000,
  hiddenAct: 'silu',
  bosTokenId: null,
  eosTokenId: 50279,
};

function spec(c: RawConfig, fallback?: { eosTokenId?: number | null }): ModelSpec {
  const bias = bool(c, 'attention_bias', false);
  const base = llamaLikeSpec('olmo2', c, defaults, { qkvBias: bias, oBias: bias, mlpBias: false }, fallback);
  return { ...base, normPlacement: 'post', qkNorm: 'full' };
}

function plan(s: ModelSpec, prefix: string): WeightPlan {
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I } = s;
  const { linear, norm, body } = refMakers(s, prefix);
  const layers = Array.from({ length: s.numLayers }, (_, i) => {
    const p = `layers.${i}`;
    return {
      attnNorm: null,
      q: linear(`${p}.self_attn.q_proj`, H * hd, d, s.qkvBias),
      k: linear(`${p}.self_attn.k_proj`, Hkv * hd, d, s.qkvBias),
      v: linear(`${p}.self_attn.v_proj`, Hkv * hd, d, s.qkvBias),
      o: linear(`${p}.self_attn.o_proj`, d, H * hd, s.oBias),
      qNorm: norm(`${p}.self_attn.q_norm`, H * hd),
      kNorm: norm(`${p}.self_attn.k_norm`, Hkv * hd),
      attnPostNorm: norm(`${p}.post_attention_layernorm`),
      mlpNorm: null,
      gate: linear(`${p}.mlp.gate_proj`, I, d),
      up: linear(`${p}.mlp.up_proj`, I, d),
      down: linear(`${p}.mlp.down_proj`, d, I),
      mlpPostNorm: norm(`${p}.post_feedforward_layernorm`),
    };
  });
  return body(layers, norm('norm'));
}

export const olmo2: Family = {
  name: 'olmo2',
  modelTypes: ['olmo2'],
  architectures: ['Olmo2ForCausalLM'],
  prefixes: ['model.', ''],
  spec,
  plan,
};
