/**
 * Tiny in-memory models for the reference's own tests: a seeded PRNG, a spec builder and random
 * ModelWeights (float32 Params, as the loader would give). Not the shared fixtures
 * (tests/fixtures/tiny-models.ts): these exist so the reference is tested on its own.
 */
import type { LayerWeights, Linear, ModelSpec, ModelWeights, Norm, Param } from '../../src/engine/model/spec';

/** mulberry32: a small, seeded 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/** Defaults: a llama-like spec (rms, gated silu, rope) with d=8, L=2, H=2, Hkv=1, hd=4, I=12, V=11. */
export function tinySpec(over: Partial<ModelSpec> = {}): ModelSpec {
  const base: ModelSpec = {
    family: 'llama',
    vocabSize: 11,
    hiddenSize: 8,
    numLayers: 2,
    numHeads: 2,
    numKvHeads: 1,
    headDim: 4,
    intermediateSize: 12,
    maxPositions: 64,
    norm: 'rms',
    normEps: 1e-6,
    mlp: 'gated',
    activation: 'silu',
    position: 'rope',
    ropeTheta: 10000,
    ropeScaling: null,
    qkvBias: false,
    oBias: false,
    mlpBias: false,
    tiedEmbeddings: false,
    bosTokenId: null,
    eosTokenId: 0,
  };
  return { ...base, ...over };
}

/** GPT-2-like: LayerNorm, plain gelu_tanh MLP, learned positions, biases everywhere, tied embeddings. */
export function tinyGpt2Spec(over: Partial<ModelSpec> = {}): ModelSpec {
  return tinySpec({
    family: 'gpt2',
    numKvHeads: 2,
    norm: 'layer',
    normEps: 1e-5,
    mlp: 'plain',
    activation: 'gelu_tanh',
    position: 'learned',
    qkvBias: true,
    oBias: true,
    mlpBias: true,
    tiedEmbeddings: true,
    ...over,
  });
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
