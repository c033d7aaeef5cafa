/**
 * The layout llama, mistral and qwen2 share (transformers' modeling_llama and its copies):
 * RMSNorm, rotary positions, grouped-query attention, SwiGLU MLP, weights named
 * model.layers.{i}.self_attn.{q,k,v,o}_proj / mlp.{gate,up,down}_proj, stored [out, in].
 */
import { ConfigError } from '../../errors';
import type { FamilyName, ModelSpec } from '../spec';
import { normalizeConfig } from './config';
import type { FamilyDefaults, LinearRef, NormRef, RawConfig, TensorRef, WeightPlan } from './types';

export interface LlamaLikeFlags {
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
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
    tiedEmbeddings: n.tiedEmbeddings,
    bosTokenId: n.bosTokenId,
    eosTokenId: n.eosTokenId,
  };
}

export function llamaLikePlan(spec: ModelSpec, prefix: string): WeightPlan {
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I, vocabSize: V } = spec;
  const t = (name: string, shape: number[]): TensorRef => ({ name: prefix + name, shape });
  const linear = (name: string, out: number, inp: number, bias: boolean): LinearRef => ({
    weight: t(`${name}.weight`, [out, inp]),
    bias: bias ? t(`${name}.bias`, [out]) : null,
  });
  const norm = (name: string): NormRef => ({ weight: t(`${name}.weight`, [d]), bias: null });
  const layers = Array.from({ length: spec.numLayers }, (_, i) => {
    const p = `layers.${i}`;
    return {
      attnNorm: norm(`${p}.input_layernorm`),
      q: linear(`${p}.self_attn.q_proj`, H * hd, d, spec.qkvBias),
      k: linear(`${p}.self_attn.k_proj`, Hkv * hd, d, spec.qkvBias),
      v: linear(`${p}.self_attn.v_proj`, Hkv * hd, d, spec.qkvBias),
      o: linear(`${p}.self_attn.o_proj`, d, H * hd, spec.oBias),
      mlpNorm: norm(`${p}.post_attention_layernorm`),
      gate: linear(`${p}.mlp.gate_proj`, I, d, spec.mlpBias),
      up: linear(`${p}.mlp.up_proj`, I, d, spec.mlpBias),
      down: linear(`${p}.mlp.down_proj`, d, I, spec.mlpBias),
    };
  });
  return {
    embed: t('embed_tokens.weight', [V, d]),
    posEmbed: null,
    layers,
    finalNorm: norm('norm'),
    // lm_head sits outside the body (LlamaForCausalLM.lm_head), so it never takes the prefix.
    lmHead: spec.tiedEmbeddings ? 'tied' : { name: 'lm_head.weight', shape: [V, d] },
  };
}
