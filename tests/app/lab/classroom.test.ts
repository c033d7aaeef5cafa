/** Classroom mode: the tour's state machine, the presets, and applying them on the fake engine. */
import { describe, expect, it } from 'vitest';
import {
  leastImportant,
  presetCounts,
  presets,
  TOUR_CLOSED,
  TOUR_STEPS,
  tourReducer,
  type TourAction,
  type TourState,
} from '../../../src/state/classroom';
import { dropKey, NO_DROPS } from '../../../src/state/drops';
import { labWorkbench } from './setup';

const run = (actions: TourAction[], from: TourState = TOUR_CLOSED) => actions.reduce((s, a) => tourReducer(s, a), from);

describe('tour state', () => {
  it('starts at the first step, walks forward and back within bounds, and closes after the last', () => {
    const n = TOUR_STEPS.length;
    expect(run([{ type: 'start' }])).toEqual({ open: true, step: 0, visited: [0] });
    expect(run([{ type: 'start' }, { type: 'back' }])).toMatchObject({ open: true, step: 0 });
    const walked = run([{ type: 'start' }, ...Array.from({ length: n - 1 }, () => ({ type: 'next' }) as const)]);
    expect(walked).toMatchObject({ open: true, step: n - 1 });
    expect(walked.visited).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(tourReducer(walked, { type: 'next' })).toMatchObject({ open: false, step: n - 1 });
    expect(run([{ type: 'start' }, { type: 'next' }, { type: 'next' }, { type: 'back' }])).toMatchObject({
      step: 1,
      visited: [0, 1, 2],
    });
  });

  it('goto clamps, close keeps the step, next and back do nothing while closed, start begins again', () => {
    expect(run([{ type: 'goto', step: 99 }])).toMatchObject({ open: true, step: TOUR_STEPS.length - 1 });
    expect(run([{ type: 'goto', step: -3 }])).toMatchObject({ step: 0 });
    expect(run([{ type: 'start' }, { type: 'goto', step: Number.NaN }])).toMatchObject({ step: 0 });
    const closed = run([{ type: 'start' }, { type: 'next' }, { type: 'close' }]);
    expect(closed).toMatchObject({ open: false, step: 1 });
    expect(tourReducer(closed, { type: 'next' })).toBe(closed);
    expect(tourReducer(closed, { type: 'back' })).toBe(closed);
    expect(tourReducer(closed, { type: 'start' })).toEqual({ open: true, step: 0, visited: [0] });
  });

  it('the steps: heatmap, attention, MLP, curves, your turn; each offers presets that exist', () => {
    expect(TOUR_STEPS.map((s) => s.id)).toEqual(['heatmap', 'attention', 'mlp', 'curves', 'accuracy', 'done']);
    const ids = new Set(presets(12, null).map((p) => p.id));
    for (const s of TOUR_STEPS) for (const p of s.presets) expect(ids.has(p)).toBe(true);
  });
});

describe('presets', () => {
  it('the n lowest importances, ties to the lower layer, NaN (dropped) skipped', () => {
    expect(leastImportant([0.3, 0.1, 0.2, 0.1], 2)).toEqual([1, 3]);
    expect(leastImportant([0.3, 0.1, 0.2, 0.1], 3)).toEqual([1, 2, 3]);
    expect(leastImportant([Number.NaN, 0.5, 0.4], 2)).toEqual([1, 2]);
    expect(leastImportant([0.1], 0)).toEqual([]);
  });

  it('a third and two thirds of the layers; nothing to apply before the full model is measured', () => {
    expect(presetCounts(12)).toEqual({ third: 4, twoThirds: 8 });
    expect(presetCounts(2)).toEqual({ third: 1, twoThirds: 1 });
    const none = presets(12, null);
    expect(none.find((p) => p.id === 'full')?.drop).toEqual({ attn: [], mlp: [] });
    expect(none.filter((p) => p.id !== 'full').every((p) => p.drop === null)).toBe(true);
    const imp = {
      attn: [5, 1, 2, 3, 4, 0.5],
      mlp: [9, 8, 7, 6, 5, 4],
      block: [1, 2, 3, 4, 5, 6],
      attnNoNorm: [],
      mlpNoNorm: [],
    };
    const p = Object.fromEntries(presets(6, imp).map((x) => [x.id, x.drop]));
    expect(p['attn-third']).toEqual({ attn: [1, 5], mlp: [] });
    expect(p['attn-two-thirds']).toEqual({ attn: [1, 2, 3, 5], mlp: [] });
    expect(p['mlp-third']).toEqual({ attn: [], mlp: [4, 5] });
    expect(p['block-third']).toEqual({ attn: [0, 1], mlp: [0, 1] });
  });

  it('applying a preset drops its sublayers and the perplexity follows (fake engine)', async () => {
    const { lab, s, controller, engine } = await labWorkbench();
    const full = s().results.analyses[dropKey(NO_DROPS)];
    expect(lab.applyPreset('attn-third')).toBe(true);
    await controller.idle();
    const want = { attn: leastImportant(full.importance.attn, 4), mlp: [] };
    expect(s().drops.current).toEqual(want);
    expect(s().results.evals[dropKey(want)].perplexity).toBeCloseTo(Math.exp(engine.nll(want)), 12);
    expect(lab.applyPreset('mlp-third')).toBe(true);
    await controller.idle();
    expect(s().drops.current.attn).toEqual([]);
    expect(s().drops.current.mlp).toHaveLength(4);
    lab.applyPreset('full');
    expect(s().drops.current).toEqual({ attn: [], mlp: [] });
    // Undo goes back through the presets.
    controller.undo();
    expect(s().drops.current.mlp).toHaveLength(4);
  });

  it('classroom off closes the tour', async () => {
    const { s } = await labWorkbench();
    s().setClassroom(true);
    s().tour({ type: 'start' });
    expect(s().classroom.tour.open).toBe(true);
    s().setClassroom(false);
    expect(s().classroom).toMatchObject({ on: false, tour: { open: false } });
  });
});
