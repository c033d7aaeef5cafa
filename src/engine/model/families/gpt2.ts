/**
 * model_type "gpt2": GPT-2 and DistilGPT2. LayerNorm with bias, learned positions (wpe), gelu_new,
 * biases everywhere, lm_head tied to wte. Its Conv1D layers store weights [in, out] (transposed to
 * nn.Linear's [out, in] at load) and c_attn fuses q, k and v along the output axis ([d, 3d], split at
 * load). Checkpoints name the body "h.0..." (the gpt2 repository) or "transformer.h.0..." (saved from
 * GPT2LMHeadModel). Defaults from transformers' GPT2Config.
 */
import { UnsupportedArchitectureError } from '../../errors';
import type { ModelSpec } from '../spec';
import { bool, normalizeConfig } from './config';
import type { Family, FamilyDefaults, LinearRef, NormRef, TensorRef, WeightPlan } from './types';

const defaults: FamilyDefaults = {
  tieWordEmbeddings: true,
  normEps: 1e-5,
  ropeTheta: 10000,
  hiddenAct: 'gelu_new',
  bosTokenId: 50256,
  eosTokenId: 50256,
};

function spec(c: Record<string, unknown>, fallback?: { eosTokenId?: number | null }): ModelSpec {
  if (bool(c, 'scale_attn_by_inverse_layer_idx', false) || !bool(c, 'scale_attn_weights', true)) {
    throw new UnsupportedArchitectureError(
      'config.json: GPT-2 with scale_attn_by_inverse_layer_idx=true or scale_attn_weights=false is not supported (only the standard 1/sqrt(head_dim) attention scaling is).',
    );
  }
  const n = normalizeConfig(c, defaults, fallback);
  return {
    family: 'gpt2',
    vocabSize: n.vocabSize,
    hiddenSize: n.hiddenSize,
    numLayers: n.numLayers,
    numHeads: n.numHeads,
    numKvHeads: n.numHeads, // GPT-2 has no GQA
    headDim: n.hiddenSize / n.numHeads,
    intermediateSize: n.intermediateSize ?? 4 * n.hiddenSize, // n_inner: null means 4 * n_embd
    maxPositions: n.maxPositions,
    norm: 'layer',
    normEps: n.normEps,
    mlp: 'plain',
    activation: n.activation,
    position: 'learned',
    ropeTheta: n.ropeTheta,
    ropeScaling: null,
    qkvBias: true,
    oBias: true,
    mlpBias: true,
    tiedEmbeddings: true, // GPT2LMHeadModel always ties lm_head to wte
    bosTokenId: n.bosTokenId,
    eosTokenId: n.eosTokenId,
  };
}

function plan(s: ModelSpec, prefix: string): WeightPlan {
  const { hiddenSize: d, intermediateSize: I, vocabSize: V } = s;
  const t = (name: string, shape: number[], extra: Partial<TensorRef> = {}): TensorRef => ({
    name: prefix + name,
    shape,
    ...extra,
  });
  const norm = (name: string): NormRef => ({ weight: t(`${name}.weight`, [d]), bias: t(`${name}.bias`, [d]) });
  // Conv1D: weight stored [in, out], bias [out].
  const conv1d = (name: string, inp: number, out: number): LinearRef => ({
    weight: t(`${name}.weight`, [inp, out], { transpose: true }),
    bias: t(`${name}.bias`, [out]),
  });
  const fused = (p: string, index: number): LinearRef => ({
    weight: t(`${p}.attn.c_attn.weight`, [d, 3 * d], {
      slice: { axis: 1, start: index * d, size: d },
      transpose: true,
    }),
    bias: t(`${p}.attn.c_attn.bias`, [3 * d], { slice: { axis: 0, start: index * d, size: d } }),
  });
  const layers = Array.from({ length: s.numLayers }, (_, i) => {
    const p = `h.${i}`;
    return {
      attnNorm: norm(`${p}.ln_1`),
      q: fused(p, 0),
      k: fused(p, 1),
      v: fused(p, 2),
      o: conv1d(`${p}.attn.c_proj`, d, d),
      mlpNorm: norm(`${p}.ln_2`),
      gate: null,
      up: conv1d(`${p}.mlp.c_fc`, d, I),
      down: conv1d(`${p}.mlp.c_proj`, I, d),
    };
  });
  return {
    embed: t('wte.weight', [V, d]),
    posEmbed: t('wpe.weight', [s.maxPositions, d]),
    layers,
    finalNorm: norm('ln_f'),
    lmHead: 'tied',
  };
}

export const gpt2: Family = {
  name: 'gpt2',
  modelTypes: ['gpt2'],
  architectures: ['GPT2LMHeadModel', 'GPT2Model'],
  prefixes: ['', 'transformer.'],
  spec,
  plan,
};
