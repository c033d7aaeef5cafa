import { describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../src/engine/api';
import { parameterCounts } from '../../src/engine/api';
import { costSummary } from '../../src/state/cost';
import { fakeSpec } from '../app/fake-engine';
import { GPT2_ARCH } from '../fixtures/specs';

const gpt2: ModelSpec = {
  ...fakeSpec(12),
  ...GPT2_ARCH,
  vocabSize: 50257,
  hiddenSize: 768,
  numHeads: 12,
  numKvHeads: 12,
  headDim: 64,
  intermediateSize: 3072,
  maxPositions: 1024,
};

// SmolLM2-135M: llama, d=576, 30 layers, 9 heads, 3 kv heads, I=1536, V=49152, tied.
const smol: ModelSpec = {
  ...fakeSpec(30),
  vocabSize: 49152,
  hiddenSize: 576,
  numHeads: 9,
  numKvHeads: 3,
  headDim: 64,
  intermediateSize: 1536,
  maxPositions: 8192,
};

describe('cost', () => {
  it('counts GPT-2 small exactly (124,439,808 parameters)', () => {
    expect(parameterCounts(gpt2).total).toBe(124_439_808);
  });
  it('counts SmolLM2-135M exactly (134,515,008 parameters)', () => {
    expect(parameterCounts(smol).total).toBe(134_515_008);
  });
  it('removes the parameters of the dropped sublayers', () => {
    const s = parameterCounts(smol);
    // attention: norm 576 + q 576*576 + k,v 2*576*192 + o 576*576
    expect(s.attn).toBe(576 + 2 * 576 * 576 + 2 * 576 * 192);
    expect(s.mlp).toBe(576 + 3 * 576 * 1536);
    const c = costSummary(smol, { attn: [10, 20], mlp: [29] }, 2048);
    expect(c.removedParams).toBe(2 * s.attn + s.mlp);
    expect(c.removedFraction).toBeCloseTo(c.removedParams / 134_515_008, 12);
    expect(c.keptAttn).toBe(28);
    expect(c.keptMlp).toBe(29);
  });
  it('counts FLOPs per token: 2 per MAC of linear layers and head, 4·H·hd·T per attention layer', () => {
    const T = 100;
    const c = costSummary(smol, { attn: [], mlp: [] }, T);
    const attnMacs = 576 * 576 * 2 + 2 * 576 * 192;
    const mlpMacs = 3 * 576 * 1536;
    expect(c.flopsFull).toBe(30 * (2 * attnMacs + 4 * 9 * 64 * T) + 30 * 2 * mlpMacs + 2 * 49152 * 576);
    const d = costSummary(smol, { attn: [0], mlp: [] }, T);
    expect(c.flopsFull - d.flopsKept).toBe(2 * attnMacs + 4 * 9 * 64 * T);
  });
  it('KV cache shrinks with dropped attention only', () => {
    const full = costSummary(smol, { attn: [], mlp: [] }, 10);
    expect(full.kvBytesPerTokenFull).toBe(30 * 2 * 3 * 64 * 2);
    expect(costSummary(smol, { attn: [], mlp: [1, 2] }, 10).kvBytesPerTokenKept).toBe(full.kvBytesPerTokenFull);
    expect(costSummary(smol, { attn: [1, 2], mlp: [] }, 10).kvBytesPerTokenKept).toBe(28 * 2 * 3 * 64 * 2);
  });
});
