/**
 * The layout llama, mistral and qwen2 share (transformers' modeling_llama and its copies):
 * RMSNorm, rotary positions, grouped-query attention, SwiGLU MLP, weights named
 * model.layers.{i}.self_attn.{q,k,v,o}_proj / mlp.{gate,up,down}_proj, stored [out, in].
 * The families of this layout are rows of LLAMA_LIKE at the bottom: their config.json names, the
 * defaults of their transformers config class, and which projections carry a bias.
 */
import { ConfigError } from '../../errors';
import type { FamilyName, ModelSpec } from '../spec';
import { bool, normalizeConfig, positiveInt, positiveNumber, show } from './config';
import { refMakers } from './refs';
import type { Family, FamilyDefaults, RawConfig, WeightPlan } from './types';

export interface LlamaLikeFlags {
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  /** q_norm / k_norm per head before RoPE (Qwen3). */
  qkNorm?: boolean;
}

export function llamaLikeSpec(
  family: FamilyName,
  c: RawConfig,
  defaults: FamilyDefaults,
  flags: LlamaLikeFlags,
  fallback?: { eosTokenId?: number | null },
): ModelSpec {
  const n = normalizeConfig(c, defaults, fallback);
  if (n.intermediateSize === null)
    throw new ConfigError('config.json has no intermediate_size; it is needed to build the MLP.', {
      key: 'intermediate_size',
    });
  if (n.headDim % 2 !== 0)
    throw new ConfigError(`config.json: rotary positions need an even head dimension, got ${n.headDim}.`);
  return {
    family,
    vocabSize: n.vocabSize,
    hiddenSize: n.hiddenSize,
    numLayers: n.numLayers,
    numHeads: n.numHeads,
    numKvHeads: n.numKvHeads,
    headDim: n.headDim,
    intermediateSize: n.intermediateSize,
    maxPositions: n.maxPositions,
    norm: 'rms',
    normEps: n.normEps,
    mlp: 'gated',
    activation: n.activation,
    position: 'rope',
    ropeTheta: n.ropeTheta,
    ropeScaling: n.ropeScaling,
    qkvBias: flags.qkvBias,
    oBias: flags.oBias,
    mlpBias: flags.mlpBias,
    ...(flags.qkNorm ? { qkNorm: 'head' as const } : {}),
    tiedEmbeddings: n.tiedEmbeddings,
    bosTokenId: n.bosTokenId,
    eosTokenId: n.eosTokenId,
  };
}

export function llamaLikePlan(spec: ModelSpec, prefix: string): WeightPlan {
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I } = spec;
  const { linear, norm, body } = refMakers(spec, prefix);
  const layers = Array.from({ length: spec.numLayers }, (_, i) => {
    const p = `layers.${i}`;
    return {
      attnNorm: norm(`${p}.input_layernorm`),
      q: linear(`${p}.self_attn.q_proj`, H * hd, d, spec.qkvBias),
      k: linear(`${p}.self_attn.k_proj`, Hkv * hd, d, spec.qkvBias),
      v: linear(`${p}.self_attn.v_proj`, Hkv * hd, d, spec.qkvBias),
      o: linear(`${p}.self_attn.o_proj`, d, H * hd, spec.oBias),
      ...(spec.qkNorm === 'head'
        ? { qNorm: norm(`${p}.self_attn.q_norm`, hd), kNorm: norm(`${p}.self_attn.k_norm`, hd) }
        : {}),
      mlpNorm: norm(`${p}.post_attention_layernorm`),
      gate: linear(`${p}.mlp.gate_proj`, I, d, spec.mlpBias),
      up: linear(`${p}.mlp.up_proj`, I, d, spec.mlpBias),
      down: linear(`${p}.mlp.down_proj`, d, I, spec.mlpBias),
    };
  });
  return body(layers, norm('norm'));
}

/** transformers' LlamaConfig and MistralConfig defaults (the same). */
const LLAMA_DEFAULTS: FamilyDefaults = {
  tieWordEmbeddings: false,
  normEps: 1e-6,
  ropeTheta: 10000,
  hiddenAct: 'silu',
  bosTokenId: 1,
  eosTokenId: 2,
};

interface LlamaLikeRow {
  name: FamilyName;
  modelTypes: readonly string[];
  architectures: readonly string[];
  defaults: FamilyDefaults;
  flags(c: RawConfig): LlamaLikeFlags;
  /** Spec fields beyond the shared layout (granite's multipliers, smollm3's NoPE layers). */
  extend?(c: RawConfig, spec: ModelSpec): Partial<ModelSpec>;
}

function llamaLikeFamily(row: LlamaLikeRow): Family {
  return {
    name: row.name,
    modelTypes: row.modelTypes,
    architectures: row.architectures,
    prefixes: ['model.', ''],
    spec: (c, fallback) => {
      const spec = llamaLikeSpec(row.name, c, row.defaults, row.flags(c), fallback);
      return row.extend ? { ...spec, ...row.extend(c, spec) } : spec;
    },
    plan: llamaLikePlan,
  };
}

/**
 * - llama: Llama 1/2/3.x (rope_scaling "llama3"), SmolLM/SmolLM2, TinyLlama, Yi, ...; attention_bias
 *   puts a bias on q, k, v and o, mlp_bias on gate, up and down.
 * - mistral: Mistral 7B v0.1-v0.3 and relatives, no biases. sliding_window only matters for windows
 *   longer than it (4096 in v0.1); ModelSpec does not carry it.
 * - qwen2: Qwen1.5, Qwen2, Qwen2.5, a bias on q, k and v (not o). Qwen2Config sets no bos/eos
 *   (config.json gives them).
 * - granite: IBM Granite 3.x dense, with four multipliers: embeddings x embedding_multiplier, attention
 *   scores x attention_multiplier (instead of 1/sqrt(hd)), each branch's output x residual_multiplier,
 *   logits / logits_scaling.
 * - smollm3: SmolLM3, with NoPE layers: no_rope_layers[l] = 0 means layer l has no position encoding
 *   (default: every 4th layer, no_rope_layer_interval). Its sliding window (use_sliding_window, off in
 *   the released config) is refused when on.
 * - qwen3: Qwen3 (dense), a per-head RMSNorm on queries and keys before RoPE (q_norm, k_norm, [hd]);
 *   attention_bias puts a bias on q, k, v and o; head_dim is given by config.json (128, not d / H).
 *   Its sliding window (use_sliding_window, off in every released config) is not carried.
 */
export const LLAMA_LIKE = {
  llama: llamaLikeFamily({
    name: 'llama',
    modelTypes: ['llama'],
    architectures: ['LlamaForCausalLM'],
    defaults: LLAMA_DEFAULTS,
    flags: (c) => {
      const attnBias = bool(c, 'attention_bias', false);
      return { qkvBias: attnBias, oBias: attnBias, mlpBias: bool(c, 'mlp_bias', false) };
    },
  }),
  mistral: llamaLikeFamily({
    name: 'mistral',
    modelTypes: ['mistral'],
    architectures: ['MistralForCausalLM'],
    defaults: LLAMA_DEFAULTS,
    flags: () => ({ qkvBias: false, oBias: false, mlpBias: false }),
  }),
  qwen2: llamaLikeFamily({
    name: 'qwen2',
    modelTypes: ['qwen2'],
    architectures: ['Qwen2ForCausalLM'],
    defaults: { ...LLAMA_DEFAULTS, bosTokenId: null, eosTokenId: null },
    flags: () => ({ qkvBias: true, oBias: false, mlpBias: false }),
  }),
  qwen3: llamaLikeFamily({
    name: 'qwen3',
    modelTypes: ['qwen3'],
    architectures: ['Qwen3ForCausalLM'],
    defaults: { ...LLAMA_DEFAULTS, bosTokenId: null, eosTokenId: null },
    flags: (c) => {
      const attnBias = bool(c, 'attention_bias', false);
      return { qkvBias: attnBias, oBias: attnBias, mlpBias: false, qkNorm: true };
    },
  }),
  granite: llamaLikeFamily({
    name: 'granite',
    modelTypes: ['granite'],
    architectures: ['GraniteForCausalLM'],
    defaults: LLAMA_DEFAULTS,
    flags: (c) => {
      const attnBias = bool(c, 'attention_bias', false);
      return { qkvBias: attnBias, oBias: attnBias, mlpBias: bool(c, 'mlp_bias', false) };
    },
    extend: (c) => {
      const m = (key: string) => positiveNumber(c, [key], 1);
      return {
        embedScale: m('embedding_multiplier'),
        attnScale: m('attention_multiplier'),
        residualScale: m('residual_multiplier'),
        logitDivisor: m('logits_scaling'),
      };
    },
  }),
  smollm3: llamaLikeFamily({
    name: 'smollm3',
    modelTypes: ['smollm3'],
    architectures: ['SmolLM3ForCausalLM'],
    defaults: { ...LLAMA_DEFAULTS, ropeTheta: 2_000_000, bosTokenId: 128000, eosTokenId: 128001 },
    flags: (c) => {
      const attnBias = bool(c, 'attention_bias', false);
      return { qkvBias: attnBias, oBias: attnBias, mlpBias: bool(c, 'mlp_bias', false) };
    },
    extend: (c, spec) => {
      if (bool(c, 'use_sliding_window', false))
        throw new ConfigError('config.json: SmolLM3 with use_sliding_window=true is not supported yet.', {
          key: 'use_sliding_window',
        });
      const L = spec.numLayers;
      const given = c.no_rope_layers;
      let ropeLayers: boolean[];
      if (given === undefined || given === null) {
        const every = positiveInt(c, ['no_rope_layer_interval'], 4);
        ropeLayers = Array.from({ length: L }, (_, l) => (l + 1) % every !== 0);
      } else if (
        Array.isArray(given) &&
        given.length === L &&
        given.every((v) => v === 0 || v === 1 || typeof v === 'boolean')
      ) {
        ropeLayers = given.map((v) => v === 1 || v === true);
      } else {
        throw new ConfigError(
          `config.json: no_rope_layers must hold 0 or 1 for each of the ${L} layers, got ${show(given)}.`,
          {
            key: 'no_rope_layers',
          },
        );
      }
      return { ropeLayers };
    },
  }),
} as const;
