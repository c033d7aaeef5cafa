/**
 * model_type "baichuan": Baichuan-7B and Baichuan2-7B (Base and Chat), the models LLM-Drop ships a
 * modeling file for. Llama's block (RMSNorm pre-norms, RoPE with base 10000, SwiGLU, no biases, untied)
 * with multi-head attention only and one fused projection, sliced where it loads:
 *   - self_attn.W_pack [3d, d]: q, k, v in that order along the output axis (the modeling code's
 *     unflatten(-1, (3, hidden_size)));
 * and, for Baichuan2, NormHead: the lm_head rows L2-normalized (done at load, TensorRef.normalizeRows).
 *
 * The rules, since config.json has no key for either (the checkpoints differ only in their remote code):
 *   - Baichuan2 (NormHead) iff vocab_size is 125696: Baichuan2's vocabulary; Baichuan 1 has 64000
 *     (vLLM's Baichuan loader decides the same way).
 *   - RoPE iff config.json has max_position_embeddings and hidden_size is not 5120: the 7B modeling files
 *     build their rotary table from max_position_embeddings; the 13B ones (Baichuan-13B, Baichuan2-13B)
 *     use ALiBi, and their configs give model_max_length instead, with hidden_size 5120. ALiBi is refused.
 * The modeling files hard-code RoPE's base (10000) and ignore rope_theta / rope_scaling; so does this.
 * Defaults from Baichuan's BaichuanConfig.
 */
import { ConfigError, UnsupportedArchitectureError } from '../../errors';
import type { ModelSpec } from '../spec';
import { llamaLikeSpec } from './llama-like';
import { refMakers } from './refs';
import type { Family, FamilyDefaults, LinearRef, RawConfig, WeightPlan } from './types';

const defaults: FamilyDefaults = {
  tieWordEmbeddings: false,
  normEps: 1e-6,
  ropeTheta: 10000,
  hiddenAct: 'silu',
  bosTokenId: 1,
  eosTokenId: 2,
};

/** Baichuan2's vocabulary size: the one thing in config.json that tells Baichuan2 (NormHead) from Baichuan 1. */
export const BAICHUAN2_VOCAB = 125696;

function spec(c: RawConfig, fallback?: { eosTokenId?: number | null }): ModelSpec {
  const hasMaxPos = Object.hasOwn(c, 'max_position_embeddings') && c.max_position_embeddings !== null;
  if (!hasMaxPos || c.hidden_size === 5120)
    throw new UnsupportedArchitectureError(
      `config.json: this Baichuan model (hidden_size ${JSON.stringify(c.hidden_size)}, ${
        hasMaxPos ? 'max_position_embeddings given' : 'no max_position_embeddings, model_max_length instead'
      }) is a 13B one, which uses ALiBi attention biases instead of rotary positions; DropLab reads the RoPE Baichuans (Baichuan-7B, Baichuan2-7B) only.`,
      { key: hasMaxPos ? 'hidden_size' : 'max_position_embeddings', value: hasMaxPos ? c.hidden_size : null },
    );
  // The modeling code ignores rope_theta and rope_scaling (base 10000) and num_key_value_heads (W_pack is 3d wide).
  const { rope_theta: _t, rope_scaling: _s, rope_parameters: _p, ...rest } = c;
  const base = llamaLikeSpec('baichuan', rest, defaults, { qkvBias: false, oBias: false, mlpBias: false }, fallback);
  if (base.numKvHeads !== base.numHeads || base.headDim * base.numHeads !== base.hiddenSize)
    throw new ConfigError(
      `config.json: Baichuan's W_pack holds q, k and v of ${base.numHeads} heads of hidden_size / num_attention_heads values each; num_key_value_heads ${base.numKvHeads} and head_dim ${base.headDim} do not fit it.`,
      { key: 'num_key_value_heads', value: base.numKvHeads },
    );
  return { ...base, ...(base.vocabSize === BAICHUAN2_VOCAB ? { normHead: true } : {}) };
}

function plan(s: ModelSpec, prefix: string): WeightPlan {
  const { hiddenSize: d, intermediateSize: I } = s;
  const { t, linear, norm, body } = refMakers(s, prefix);
  /** Rows start..start+d-1 of W_pack [3d, d]. */
  const part = (name: string, start: number): LinearRef => ({
    weight: t(`${name}.weight`, [3 * d, d], { slice: { axis: 0, start, size: d } }),
    bias: null,
  });
  const layers = Array.from({ length: s.numLayers }, (_, i) => {
    const p = `layers.${i}`;
    return {
      attnNorm: norm(`${p}.input_layernorm`),
      q: part(`${p}.self_attn.W_pack`, 0),
      k: part(`${p}.self_attn.W_pack`, d),
      v: part(`${p}.self_attn.W_pack`, 2 * d),
      o: linear(`${p}.self_attn.o_proj`, d, d),
      mlpNorm: norm(`${p}.post_attention_layernorm`),
      gate: linear(`${p}.mlp.gate_proj`, I, d),
      up: linear(`${p}.mlp.up_proj`, I, d),
      down: linear(`${p}.mlp.down_proj`, d, I),
    };
  });
  const out = body(layers, norm('norm'));
  if (s.normHead && out.lmHead !== 'tied') out.lmHead = { ...out.lmHead, normalizeRows: true };
  return out;
}

export const baichuan: Family = {
  name: 'baichuan',
  modelTypes: ['baichuan'],
  // Baichuan-7B writes BaiChuanForCausalLM; Baichuan2 (and the 13B models) BaichuanForCausalLM.
  architectures: ['BaichuanForCausalLM', 'BaiChuanForCausalLM'],
  prefixes: ['model.', ''],
  spec,
  plan,
};
