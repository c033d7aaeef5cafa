/**
 * model_type "phi3": Phi-3 / Phi-3.5 mini and medium, Phi-4-mini. Llama's block (RMSNorm pre-norms, GQA,
 * RoPE, SwiGLU, no biases) with fused weights, sliced where they load:
 *   - self_attn.qkv_proj [H*hd + 2*Hkv*hd, d]: q, k, v in that order along the output axis;
 *   - mlp.gate_up_proj [2I, d]: gate first, then up (transformers' chunk(2) of the output);
 * partial rotary (partial_rotary_factor: RoPE on the first hd * factor values of each head), and a
 * sliding window on every layer when config.json gives one (Phi-3-mini-4k: 2047), and LongRoPE
 * (rope_scaling type "longrope", formerly "su": Phi-3.5-mini, Phi-4-mini, the 128k Phi-3s), one factor
 * per rotated frequency (rotaryDim / 2 of them). Phi-4-mini combines partial rotary (0.75), LongRoPE and
 * tied embeddings. Defaults from transformers' Phi3Config.
 */
import { ConfigError } from '../../errors';
import type { ModelSpec } from '../spec';
import { bool, positiveInt, positiveNumber } from './config';
import { llamaLikeSpec } from './llama-like';
import { refMakers } from './refs';
import type { Family, FamilyDefaults, LinearRef, RawConfig, WeightPlan } from './types';

const defaults: FamilyDefaults = {
  tieWordEmbeddings: false,
  normEps: 1e-5,
  ropeTheta: 10000,
  hiddenAct: 'silu',
  bosTokenId: 1,
  eosTokenId: 32000,
  longrope: true,
};

function spec(c: RawConfig, fallback?: { eosTokenId?: number | null }): ModelSpec {
  if (bool(c, 'attention_bias', false))
    throw new ConfigError('config.json: Phi-3 with attention_bias=true is not supported (no released model has it).');
  const base = llamaLikeSpec('phi3', c, defaults, { qkvBias: false, oBias: false, mlpBias: false }, fallback);
  const factor = positiveNumber(c, ['partial_rotary_factor'], 1);
  const rotaryDim = Math.floor(base.headDim * factor);
  if (factor > 1 || rotaryDim % 2 !== 0 || rotaryDim === 0)
    throw new ConfigError(
      `config.json: partial_rotary_factor ${factor} gives ${rotaryDim} rotary dimensions of ${base.headDim}; it must be an even number from 2 to head_dim.`,
      { key: 'partial_rotary_factor' },
    );
  const rs = base.ropeScaling;
  if (rs?.type === 'longrope')
    for (const [key, list] of [
      ['short_factor', rs.shortFactor],
      ['long_factor', rs.longFactor],
    ] as const)
      if (list.length !== rotaryDim / 2)
        throw new ConfigError(
          `config.json: rope_scaling.${key} has ${list.length} factors; the ${rotaryDim} rotated values of a head need ${rotaryDim / 2}.`,
          { key: `rope_scaling.${key}`, value: list.length, expected: rotaryDim / 2 },
        );
  const window =
    Object.hasOwn(c, 'sliding_window') && c.sliding_window !== null ? positiveInt(c, ['sliding_window']) : null;
  return {
    ...base,
    ...(rotaryDim < base.headDim ? { rotaryDim } : {}),
    ...(window ? { layerWindows: Array.from({ length: base.numLayers }, () => window) } : {}),
  };
}

function plan(s: ModelSpec, prefix: string): WeightPlan {
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I } = s;
  const { t, linear, norm, body } = refMakers(s, prefix);
  /** Rows start..start+size-1 of a fused [rows, d] weight. */
  const part = (name: string, rows: number, start: number, size: number): LinearRef => ({
    weight: t(`${name}.weight`, [rows, d], { slice: { axis: 0, start, size } }),
    bias: null,
  });
  const qkv = H * hd + 2 * Hkv * hd;
  const layers = Array.from({ length: s.numLayers }, (_, i) => {
    const p = `layers.${i}`;
    return {
      attnNorm: norm(`${p}.input_layernorm`),
      q: part(`${p}.self_attn.qkv_proj`, qkv, 0, H * hd),
      k: part(`${p}.self_attn.qkv_proj`, qkv, H * hd, Hkv * hd),
      v: part(`${p}.self_attn.qkv_proj`, qkv, H * hd + Hkv * hd, Hkv * hd),
      o: linear(`${p}.self_attn.o_proj`, d, H * hd),
      mlpNorm: norm(`${p}.post_attention_layernorm`),
      gate: part(`${p}.mlp.gate_up_proj`, 2 * I, 0, I),
      up: part(`${p}.mlp.gate_up_proj`, 2 * I, I, I),
      down: linear(`${p}.mlp.down_proj`, d, I),
    };
  });
  return body(layers, norm('norm'));
}

export const phi3: Family = {
  name: 'phi3',
  modelTypes: ['phi3'],
  architectures: ['Phi3ForCausalLM'],
  prefixes: ['model.', ''],
  spec,
  plan,
};
