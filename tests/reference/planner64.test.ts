import { describe, expect, it } from 'vitest';
import type { DropConfig, Importance } from '../../src/engine/api';
import { DropConfigError } from '../../src/engine/errors';
import { loadReference } from './forward64';
import { applyChosen, importance64, plan64, planWith, rankCandidates, runWindows } from './metrics64';
import { randomIds, randomWeights, tinySpec } from './tiny64';

const N = Number.NaN;
const imp = (attn: number[], mlp: number[], block: number[] = attn.map(() => 0.5)): Importance => ({
  attn,
  mlp,
  block,
  attnNoNorm: attn.map((x) => 1 - x),
  mlpNoNorm: mlp.map((x) => 1 - x),
});
const none: DropConfig = { attn: [], mlp: [] };
const fixed = (s: Importance) => () => s;

describe('rankCandidates and one-shot planning on hand-made scores', () => {
  it('drops the n least important (= most similar) attention layers', () => {
    const s = imp([0.3, 0.1, 0.2, 0.05], [0, 0, 0, 0]);
    const r = planWith(fixed(s), { target: 'attn', n: 2, iterative: false });
    expect(r.drop).toEqual({ attn: [1, 3], mlp: [] });
    expect(r.steps).toHaveLength(1);
    expect(r.steps[0].chosen).toEqual([
      { kind: 'attn', layer: 3 },
      { kind: 'attn', layer: 1 },
    ]);
  });

  it('ties: lower layer first, then attention before MLP (joint)', () => {
    const s = imp([0.2, 0.1, 0.1], [0.1, 0.1, 0.3]);
    const ranked = rankCandidates(s, 'joint', none).map((c) => `${c.kind}${c.layer}`);
    expect(ranked).toEqual(['mlp0', 'attn1', 'mlp1', 'attn2', 'attn0', 'mlp2']);
    expect(rankCandidates(s, 'attn', none).map((c) => c.layer)).toEqual([1, 2, 0]);
    const r = planWith(fixed(s), { target: 'joint', n: 3, iterative: false });
    expect(r.drop).toEqual({ attn: [1], mlp: [0, 1] });
  });

  it('skips dropped sublayers and NaN scores; base drops are kept', () => {
    const s = imp([N, 0.2, 0.3], [0.05, 0.5, N]);
    const r = planWith(fixed(s), { target: 'joint', n: 2, iterative: false, base: { attn: [0], mlp: [2] } });
    expect(r.drop).toEqual({ attn: [0, 1], mlp: [0, 2] });
  });

  it('block target drops both sublayers; a block with one sublayer left is still a candidate', () => {
    const s = imp([0.1, N, 0.1], [0.1, 0.1, 0.1], [0.4, 0.2, 0.3]);
    const r = planWith(fixed(s), { target: 'block', n: 2, iterative: false, base: { attn: [1], mlp: [] } });
    expect(r.drop).toEqual({ attn: [1, 2], mlp: [1, 2] });
    expect(r.steps[0].chosen).toEqual([
      { kind: 'block', layer: 1 },
      { kind: 'block', layer: 2 },
    ]);
    expect(rankCandidates(s, 'block', { attn: [1], mlp: [1] }).map((c) => c.layer)).toEqual([2, 0]);
  });

  it('norm: false ranks by the no-norm scores', () => {
    const s = imp([0.1, 0.9], [0.5, 0.5]); // attnNoNorm = [0.9, 0.1]
    expect(planWith(fixed(s), { target: 'attn', n: 1, iterative: false }).drop.attn).toEqual([0]);
    expect(planWith(fixed(s), { target: 'attn', n: 1, iterative: false, norm: false }).drop.attn).toEqual([1]);
  });

  it('refuses n past the candidates and bad n', () => {
    const s = imp([0.1, 0.2], [0.1, 0.2]);
    expect(() => planWith(fixed(s), { target: 'attn', n: 3, iterative: false })).toThrow(DropConfigError);
    expect(() => planWith(fixed(s), { target: 'mlp', n: -1, iterative: false })).toThrow(DropConfigError);
    expect(planWith(fixed(s), { target: 'mlp', n: 0, iterative: true })).toEqual({ drop: none, steps: [] });
  });

  it('applyChosen keeps lists sorted and unique', () => {
    expect(
      applyChosen({ attn: [3], mlp: [1] }, [
        { kind: 'block', layer: 1 },
        { kind: 'attn', layer: 0 },
      ]),
    ).toEqual({ attn: [0, 1, 3], mlp: [1] });
  });
});

describe('iterative vs one-shot', () => {
  it("differ when dropping one sublayer changes the others' scores", () => {
    // Before any drop attn scores are [0.1, 0.2, 0.3]; once attention 0 is gone, attention 1 becomes
    // important (0.9): one-shot drops {0, 1}, iterative drops 0, then re-scores and drops 2.
    const score = (d: DropConfig): Importance => {
      const a = [0.1, 0.2, 0.3].map((x, l) => (d.attn.includes(l) ? N : x));
      if (d.attn.includes(0) && !d.attn.includes(1)) a[1] = 0.9;
      return imp(a, [1, 1, 1]);
    };
    const one = planWith(score, { target: 'attn', n: 2, iterative: false });
    const it2 = planWith(score, { target: 'attn', n: 2, iterative: true });
    expect(one.drop.attn).toEqual([0, 1]);
    expect(it2.drop.attn).toEqual([0, 2]);
    expect(it2.steps.map((s) => s.chosen)).toEqual([[{ kind: 'attn', layer: 0 }], [{ kind: 'attn', layer: 2 }]]);
    expect(it2.steps[1].scores.attn[1]).toBe(0.9);
  });

  it('on a real tiny model: one-shot follows the ranking; iterative step k scores the model with k drops', () => {
    const spec = tinySpec({ numLayers: 4 });
    const model = loadReference(spec, randomWeights(spec, 12));
    const windows = [randomIds(6, 11, 1), randomIds(6, 11, 2)];
    const base = importance64(runWindows(model, windows, none), none);
    const one = plan64(model, windows, { target: 'joint', n: 3, iterative: false });
    const ranked = rankCandidates(base, 'joint', none).slice(0, 3);
    expect(one.drop).toEqual(applyChosen(none, ranked));
    expect(one.steps[0].scores).toEqual(base);

    const it3 = plan64(model, windows, { target: 'joint', n: 3, iterative: true });
    expect(it3.steps).toHaveLength(3);
    expect(it3.steps[0].chosen[0]).toEqual({ kind: ranked[0].kind, layer: ranked[0].layer });
    let d = none;
    for (const step of it3.steps) {
      expect(step.scores).toEqual(importance64(runWindows(model, windows, d), d));
      d = applyChosen(d, step.chosen);
    }
    expect(it3.drop).toEqual(d);
    expect(it3.drop.attn.length + it3.drop.mlp.length).toBe(3);
  });
});
