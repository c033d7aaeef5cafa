/**
 * LongRoPE (Phi-3.5 / Phi-4-mini) in the graph, both ways the graph gets cos/sin (a table gathered by
 * position, or computed from inv_freq when maxPositions is large), against a float64 rotation written
 * here from transformers' _compute_longrope_parameters and longrope_frequency_update: the short factors
 * while max(position) + 1 <= original_max_position_embeddings, else the long ones, cos and sin times the
 * attention factor, partial rotary (the first rotaryDim values of each head turn). Then the whole tiny
 * Phi-4-mini-style model on windows short enough for the short factors, against the float64 reference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as blocks from '../../../src/engine/graphs/blocks';
import type { ModelSpec } from '../../../src/engine/model/spec';
import { GraphBuilder } from '../../../src/engine/onnx/builder';
import { type Fixture, fixture, maxRelDiff } from '../setup';
import { forward64 } from '../../reference/forward64';
import { RUNTIMES, f32, i64, maxAbsDiff, randn, rng, runModel } from '../../support/runtimes';
import { tinySpec } from './random-weights';

const SHORT = [1.0, 1.7, 2.5];
const LONG = [2.0, 6.0, 19.0];
const ORIG = 16;
const ATT = Math.sqrt(1 + Math.log(4) / Math.log(ORIG)); // max_position_embeddings 64 = 4 * 16

/** head_dim 8, 6 of them rotated (partial_rotary_factor 0.75), theta 10000, LongRoPE. */
function spec(maxPositions: number): ModelSpec {
  return tinySpec({
    headDim: 8,
    rotaryDim: 6,
    maxPositions,
    ropeTheta: 10000,
    ropeScaling: {
      type: 'longrope',
      shortFactor: SHORT,
      longFactor: LONG,
      originalMaxPositions: ORIG,
      attentionFactor: ATT,
    },
  });
}

/** Float64: rotate the first 6 values of each [8] head of q [H, T, 8] at `pos` (the sequence: max(pos) + 1). */
function expected(q: Float32Array, H: number, pos: number[]): number[] {
  const hd = 8;
  const rd = 6;
  const ext = Math.max(...pos) + 1 > ORIG ? LONG : SHORT;
  const out: number[] = [];
  for (let h = 0; h < H; h++)
    pos.forEach((p, t) => {
      const v = Array.from(q.subarray((h * pos.length + t) * hd, (h * pos.length + t + 1) * hd));
      const y = [...v];
      for (let i = 0; i < rd / 2; i++) {
        const a = p / (ext[i] * 10000 ** ((2 * i) / rd));
        const c = Math.cos(a) * ATT;
        const s = Math.sin(a) * ATT;
        y[i] = v[i] * c - v[i + rd / 2] * s;
        y[i + rd / 2] = v[i + rd / 2] * c + v[i] * s;
      }
      out.push(...y); // values 6 and 7 pass through
    });
  return out;
}

describe('LongRoPE cos/sin in the graph', () => {
  const cases: { name: string; pos: number[] }[] = [
    { name: 'short factors (sequence of 16 = original_max_position_embeddings)', pos: [0, 3, 9, 15] },
    { name: 'long factors (sequence of 17)', pos: [1, 4, 11, 16] },
    { name: 'long factors at the start of a long sequence too (max position decides)', pos: [0, 1, 2, 40] },
  ];
  for (const mode of [{ kind: 'table', length: 64 } as const, { kind: 'compute' } as const]) {
    for (const c of cases) {
      it(`${mode.kind}: ${c.name}`, async () => {
        const H = 2;
        const T = c.pos.length;
        const s = spec(64);
        const Q = randn(rng(5), H * T * 8, 1); // [1,H,T,8]
        const b = new GraphBuilder('longrope');
        const ctx = blocks.blockContext(b, s, { rope: mode });
        const q = b.input('q', 'float32', [1, H, 'T', 8]);
        const p = b.input('pos', 'int64', ['T']);
        b.output(blocks.applyRope(b, q, blocks.ropeCosSin(ctx, p), 8, 6), 'y');
        const want = expected(Q, H, c.pos);
        for (const rt of RUNTIMES) {
          const out = await runModel(rt, b.build(), { q: f32(Q, [1, H, T, 8]), pos: i64(c.pos, [T]) });
          expect(maxAbsDiff(out.y.data as Float32Array, want), rt.name).toBeLessThan(2e-5);
        }
      });
    }
  }
});

describe('tiny Phi-4-mini-style model (phi4-longrope) on windows of the short factors', () => {
  let f: Fixture;
  afterAll(async () => f?.engine.dispose());
  it('per-token NLL within 1e-5 relative of the float64 reference, windows of 8 = original_max_position_embeddings', async () => {
    f = await fixture('phi4-longrope', 'onnxruntime-node', 8, 4);
    const rs = f.ref.spec.ropeScaling;
    expect(rs?.type === 'longrope' && rs.originalMaxPositions).toBe(8);
    for (const drop of [
      { attn: [], mlp: [] },
      { attn: [0], mlp: [1] },
    ]) {
      const r = await f.engine.evaluateTokens(drop);
      const ref = f.windows.flatMap((ids) => Array.from(forward64(f.ref, ids, drop).nll));
      expect(maxRelDiff(r.nll, ref)).toBeLessThan(1e-5);
    }
  });
});
