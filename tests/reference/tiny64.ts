/**
 * Tiny in-memory models for the reference's own tests: specs with this module's dimensions and random
 * ModelWeights (float32 Params, as the loader would give). Not the shared model fixtures
 * (tests/fixtures/tiny-models.ts): these exist so the reference is tested on its own. Only the spec
 * builder (tests/fixtures/specs.ts, plain data) and the PRNG (tests/support/prng.ts) are shared.
 */
import type { LayerWeights, Linear, ModelSpec, ModelWeights, Norm, Param } from '../../src/engine/model/spec';
import { tinyGpt2Spec as sharedTinyGpt2Spec, tinySpec as sharedTinySpec } from '../fixtures/specs';
import { mulberry32 } from '../support/prng';

/** A Param holding `data` (row-major) with `shape`. */
export function param(shape: number[], data: ArrayLike<number>): Param {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`param: ${data.length} values for shape [${shape.join(', ')}]`);
  const f = Float32Array.from(data);
  return { shape, load: () => f.slice() };
}

export function constParam(shape: number[], value: number): Param {
  return param(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(value));
}

/** This module's dimensions: d=8, L=2, H=2, Hkv=1, hd=4, I=12, V=11, P=64 (eps 1e-6, no BOS, EOS 0). */
const TINY64: Partial<ModelSpec> = {
  vocabSize: 11,
  hiddenSize: 8,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 4,
  intermediateSize: 12,
  maxPositions: 64,
  normEps: 1e-6,
  bosTokenId: null,
  eosTokenId: 0,
};

/** A llama-like spec (rms, gated silu, rope) with this module's dimensions; override what a test needs. */
export function tinySpec(over: Partial<ModelSpec> = {}): ModelSpec {
  return sharedTinySpec({ ...TINY64, ...over });
}

/** GPT-2-like (LayerNorm, plain gelu_tanh MLP, learned positions, biases everywhere, tied embeddings), MHA 2/2, eps 1e-5. */
export function tinyGpt2Spec(over: Partial<ModelSpec> = {}): ModelSpec {
  return sharedTinyGpt2Spec({ ...TINY64, numKvHeads: 2, normEps: 1e-5, ...over });
}

/** Random weights for `spec`: matrices ~ U(-scale, scale), norm weights ~ 1 + U(-0.1, 0.1). */
export function randomWeights(spec: ModelSpec, seed = 1, scale = 0.5): ModelWeights {
  const rnd = mulberry32(seed);
  const u = (shape: number[], s = scale, center = 0) =>
    param(
      shape,
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => center + (2 * rnd() - 1) * s),
    );
  const { hiddenSize: d, numHeads: H, numKvHeads: Hkv, headDim: hd, intermediateSize: I, vocabSize: V } = spec;
  const lin = (out: number, inn: number, bias: boolean): Linear => ({
    weight: u([out, inn]),
    bias: bias ? u([out], 0.1) : null,
  });
  const norm = (): Norm => ({ weight: u([d], 0.1, 1), bias: spec.norm === 'layer' ? u([d], 0.1) : null });
  const layers: LayerWeights[] = [];
  for (let l = 0; l < spec.numLayers; l++) {
    layers.push({
      attnNorm: norm(),
      q: lin(H * hd, d, spec.qkvBias),
      k: lin(Hkv * hd, d, spec.qkvBias),
      v: lin(Hkv * hd, d, spec.qkvBias),
      o: lin(d, H * hd, spec.oBias),
      mlpNorm: norm(),
      gate: spec.mlp === 'gated' ? lin(I, d, spec.mlpBias) : null,
      up: lin(I, d, spec.mlpBias),
      down: lin(d, I, spec.mlpBias),
    });
  }
  const embed = u([V, d], 1);
  return {
    embed,
    posEmbed: spec.position === 'learned' ? u([spec.maxPositions, d], 0.3) : null,
    layers,
    finalNorm: norm(),
    lmHead: spec.tiedEmbeddings ? embed : u([V, d], 1),
  };
}

/** Random token ids in [0, V). */
export function randomIds(n: number, V: number, seed = 7): Int32Array {
  const rnd = mulberry32(seed);
  return Int32Array.from({ length: n }, () => Math.floor(rnd() * V));
}
