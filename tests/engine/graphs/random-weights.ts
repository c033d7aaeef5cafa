/**
 * Deterministic random ModelWeights for graph tests (Params wrap Float32Arrays and count their loads),
 * with the shared tiny ModelSpecs (tests/fixtures/specs.ts; their defaults are the graph tests' sizes).
 */
import type { LayerWeights, Linear, ModelSpec, ModelWeights, Norm, Param } from '../../../src/engine/model/spec';
import { mulberry32 as rng } from '../../support/prng';

export { tinyGpt2Spec, tinySpec } from '../../fixtures/specs';

export interface CountingParam extends Param {
  readonly data: Float32Array;
  loads: number;
}

export function param(data: Float32Array, shape: number[]): CountingParam {
  const p = {
    shape,
    data,
    loads: 0,
    load() {
      p.loads++;
      return data;
    },
  };
  return p;
}

export function randomWeights(spec: ModelSpec, seed = 1): ModelWeights {
  const r = rng(seed);
  const rand = (shape: number[], scale: number, offset = 0): CountingParam => {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = offset + (r() * 2 - 1) * scale;
    return param(a, shape);
  };
  const d = spec.hiddenSize;
  const q = spec.numHeads * spec.headDim;
  const kv = spec.numKvHeads * spec.headDim;
  const I = spec.intermediateSize;
  const lin = (out: number, inp: number, bias: boolean): Linear => ({
    weight: rand([out, inp], 1 / Math.sqrt(inp)),
    bias: bias ? rand([out], 0.1) : null,
  });
  const nrm = (): Norm => ({ weight: rand([d], 0.2, 1), bias: spec.norm === 'layer' ? rand([d], 0.1) : null });
  const layers: LayerWeights[] = [];
  for (let l = 0; l < spec.numLayers; l++) {
    layers.push({
      attnNorm: nrm(),
      q: lin(q, d, spec.qkvBias),
      k: lin(kv, d, spec.qkvBias),
      v: lin(kv, d, spec.qkvBias),
      o: lin(d, q, spec.oBias),
      mlpNorm: nrm(),
      gate: spec.mlp === 'gated' ? lin(I, d, spec.mlpBias) : null,
      up: lin(I, d, spec.mlpBias),
      down: lin(d, I, spec.mlpBias),
    });
  }
  const embed = rand([spec.vocabSize, d], 1);
  return {
    embed,
    posEmbed: spec.position === 'learned' ? rand([spec.maxPositions, d], 0.5) : null,
    layers,
    finalNorm: nrm(),
    lmHead: spec.tiedEmbeddings ? embed : rand([spec.vocabSize, d], 1 / Math.sqrt(d)),
  };
}

export function randomIds(spec: ModelSpec, B: number, T: number, seed = 7): number[] {
  const r = rng(seed);
  return Array.from({ length: B * T }, () => Math.floor(r() * spec.vocabSize));
}
