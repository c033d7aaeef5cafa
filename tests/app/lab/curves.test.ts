/** Curve assembly (pure) and the LabController computing curves on the fake engine. */
import { describe, expect, it } from 'vitest';
import type { EvalResult } from '../../../src/engine/api';
import {
  assembleCurves,
  type IDLE_JOB,
  currentMark,
  evalCount,
  logTicks,
  maxSteps,
  missingWork,
  prefixDrop,
  type RankedChoice,
} from '../../../src/state/curves';
import { dropKey, NO_DROPS } from '../../../src/state/drops';
import { fakeSpec } from '../fake-engine';
import { ev, labWorkbench } from './setup';

const byKey = (...es: EvalResult[]) => Object.fromEntries(es.map((e) => [dropKey(e.drop), e]));

describe('curve assembly', () => {
  it('the first n choices of a one-shot ranking are the n-drop plan; blocks drop both sublayers', () => {
    const r: RankedChoice[] = [
      { kind: 'attn', layer: 6 },
      { kind: 'mlp', layer: 9 },
      { kind: 'attn', layer: 3 },
      { kind: 'block', layer: 1 },
    ];
    expect(prefixDrop(r, 0)).toEqual({ attn: [], mlp: [] });
    expect(prefixDrop(r, 2)).toEqual({ attn: [6], mlp: [9] });
    expect(prefixDrop(r, 3)).toEqual({ attn: [3, 6], mlp: [9] });
    expect(prefixDrop(r, 4)).toEqual({ attn: [1, 3, 6], mlp: [1, 9] });
  });

  it('reach per strategy, counted in sublayers (a block is two)', () => {
    expect(maxSteps('attn', 12, 12)).toBe(12);
    expect(maxSteps('mlp', 12, 20)).toBe(12);
    expect(maxSteps('block', 12, 12)).toBe(6);
    expect(maxSteps('block', 12, 7)).toBe(3);
    expect(maxSteps('joint', 12, 20)).toBe(20);
    expect(maxSteps('joint', 12, 30)).toBe(24);
    expect(evalCount(12, 12)).toBe(12 + 12 + 6 + 12);
  });

  it('missing work: plans first for strategies without a long enough ranking, then evaluations in order, shared configurations once', () => {
    const attn: RankedChoice[] = [
      { kind: 'attn', layer: 2 },
      { kind: 'attn', layer: 0 },
    ];
    const joint: RankedChoice[] = [
      { kind: 'attn', layer: 2 },
      { kind: 'mlp', layer: 1 },
    ];
    const w = missingWork(
      { attn, joint, mlp: [{ kind: 'mlp', layer: 1 }] },
      byKey(ev([], [], 10), ev([0, 2], [], 30)),
      2,
      2,
    );
    expect(w.plans).toEqual([
      { strategy: 'mlp', n: 2 },
      { strategy: 'block', n: 1 },
    ]);
    // attention n=1 ({2}) is needed; n=2 is known; joint n=1 is the same configuration as attention n=1.
    expect(w.evals.map((t) => [t.strategy, t.n, dropKey(t.drop)])).toEqual([
      ['attn', 1, 'a2|m'],
      ['joint', 2, 'a2|m1'],
    ]);
  });

  it('series from the baseline up to the first point not measured yet; the current configuration located on them', () => {
    const attn: RankedChoice[] = [
      { kind: 'attn', layer: 2 },
      { kind: 'attn', layer: 0 },
    ];
    const evals = byKey(ev([], [], 10), ev([2], [], 11), ev([0, 2], [], 15));
    const spec = fakeSpec(2);
    const series = assembleCurves({ attn, block: [{ kind: 'block', layer: 1 }] }, evals, 2, 2, spec);
    const s = Object.fromEntries(series.map((x) => [x.strategy, x]));
    expect(s.attn.points.map((p) => [p.n, p.sublayers, p.perplexity])).toEqual([
      [0, 0, 10],
      [1, 1, 11],
      [2, 2, 15],
    ]);
    expect(s.attn.complete).toBe(true);
    expect(s.attn.points[2].paramsPct).toBeGreaterThan(s.attn.points[1].paramsPct);
    expect(s.block.points.map((p) => p.n)).toEqual([0]); // block n=1 not measured yet
    expect(s.block.complete).toBe(false);
    expect(s.mlp.points.map((p) => p.n)).toEqual([0]); // no ranking: only the shared baseline
    const mark = currentMark(series, { attn: [2], mlp: [] }, evals[dropKey({ attn: [2], mlp: [] })], spec, 64);
    expect(mark).toMatchObject({ sublayers: 1, perplexity: 11, on: [{ strategy: 'attn', n: 1 }] });
    expect(currentMark(series, { attn: [1], mlp: [1] }, null, spec, 64)).toMatchObject({
      sublayers: 2,
      perplexity: null,
      on: [],
    });
  });

  it('log-axis ticks: 1-2-5 over decades, finer inside one, evenly spaced over a narrow range', () => {
    expect(logTicks([11.9, 145])).toEqual({ domain: [10, 200], ticks: [10, 20, 50, 100, 200] });
    expect(logTicks([5, 14]).ticks).toEqual([5, 6, 7, 8, 9, 10, 20]);
    expect(logTicks([12.9, 13.5])).toEqual({ domain: [12.8, 13.6], ticks: [12.8, 13, 13.2, 13.4, 13.6] });
    const wide = logTicks([1.5, 30000]);
    expect(wide.ticks).toEqual([1, 10, 100, 1000, 10000]);
    expect(wide.domain[0]).toBeLessThanOrEqual(1.5);
    expect(wide.domain[1]).toBeGreaterThanOrEqual(30000);
    expect(logTicks([])).toEqual({ domain: [1, 10], ticks: [1, 2, 5, 10] });
    for (const vs of [
      [3.3, 3.31],
      [100, 100],
      [2, 900],
    ]) {
      const t = logTicks(vs);
      expect(t.domain[0]).toBeLessThanOrEqual(Math.min(...vs));
      expect(t.domain[1]).toBeGreaterThanOrEqual(Math.max(...vs));
      expect(t.ticks.length).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('computing the curves (fake engine)', () => {
  it('one plan per strategy and one evaluation per configuration; the points equal the engine evaluations', async () => {
    const { lab, engine, s, controller } = await labWorkbench();
    const plansBefore = engine.count('plan');
    await lab.computeCurves(4);
    expect(s().curves.job).toMatchObject({ state: 'done', current: null });
    expect(engine.count('plan') - plansBefore).toBe(4);
    expect(
      engine.calls
        .filter((c) => c.method === 'plan')
        .slice(-4)
        .map((c) => c.arg as { target: string; n: number; iterative: boolean }),
    ).toEqual([
      { target: 'attn', n: 4, iterative: false },
      { target: 'mlp', n: 4, iterative: false },
      { target: 'block', n: 2, iterative: false },
      { target: 'joint', n: 4, iterative: false },
    ]);
    const series = assembleCurves(s().curves.rankings, s().results.evals, 12, 4, engine.spec);
    expect(series.every((x) => x.complete)).toBe(true);
    for (const x of series)
      for (const p of x.points) expect(p.perplexity).toBeCloseTo(Math.exp(engine.nll(p.drop)), 12);
    // Attention one-shot: the fake's least important attention layers, in order.
    expect(series[0].points.map((p) => p.drop.attn.length)).toEqual([0, 1, 2, 3, 4]);
    // Asking again costs nothing.
    const calls = engine.calls.length;
    await lab.computeCurves(4);
    expect(engine.calls.length).toBe(calls);
    // Further points reuse the rankings only if long enough: a longer reach plans again.
    await lab.computeCurves(6);
    expect(s().curves.job.state).toBe('done');
    expect(assembleCurves(s().curves.rankings, s().results.evals, 12, 6).every((x) => x.complete)).toBe(true);
    await controller.idle();
  });

  it('an honest count: the total is what runs (shared and measured points not counted), done moves, a queued call says it waits', async () => {
    const { lab, engine, store } = await labWorkbench({ delayMs: 5 });
    const hint = lab.curvesCost(6);
    expect(hint.exact).toBe(false); // nothing ranked yet: an upper bound
    const jobs: (typeof IDLE_JOB)[] = [];
    const unsubscribe = store.subscribe((st) => {
      if (st.curves.job !== jobs[jobs.length - 1]) jobs.push(st.curves.job);
    });
    const before = engine.count('plan') + engine.count('evaluate');
    await lab.computeCurves(6);
    unsubscribe();
    const ran = engine.count('plan') + engine.count('evaluate') - before;
    const last = jobs[jobs.length - 1];
    expect(last).toMatchObject({ state: 'done', unranked: 0, waiting: false });
    expect(last.done).toBe(ran);
    expect(last.total).toBe(ran);
    expect(ran).toBeLessThanOrEqual(hint.calls);
    // Once every strategy is ranked, the total is never more than what ran (the old count said 4 + 30).
    const ranked = jobs.filter((j) => j.state === 'running' && j.total > 0 && j.unranked === 0);
    expect(ranked.length).toBeGreaterThan(0);
    for (const j of ranked) expect(j.total).toBe(ran);
    // While ranking, the total holds the plans (4 strategies) and no guessed points.
    const first = jobs.find((j) => j.state === 'running' && j.total > 0);
    expect(first).toMatchObject({ done: 0, total: 4, unranked: 4 });
    // done takes every value from 0 to the end, in order.
    const dones = [...new Set(jobs.map((j) => j.done))];
    expect(dones).toEqual(Array.from({ length: ran + 1 }, (_, i) => i));
    // After it: the hint is exact and says nothing is left.
    expect(lab.curvesCost(6)).toEqual({ calls: 0, exact: true });
  });

  it('a curve call queued behind the refresh pipeline is marked waiting until it starts', async () => {
    const { lab, s, controller } = await labWorkbench({ delayMs: 20 });
    controller.toggle('attn', 5); // the pipeline (evaluate, analyze, drop-one) runs first
    const run = lab.computeCurves(2);
    await new Promise((r) => setTimeout(r, 0));
    expect(s().curves.job).toMatchObject({ state: 'running', waiting: true });
    await run;
    expect(s().curves.job).toMatchObject({ state: 'done', waiting: false });
  });

  it('cancel stops it; the points measured so far stay and computing again resumes', async () => {
    const { lab, engine, s } = await labWorkbench({ delayMs: 20 });
    const run = lab.computeCurves(6);
    await new Promise((r) => setTimeout(r, 150));
    expect(s().curves.job.state).toBe('running');
    lab.cancelCurves();
    await run;
    expect(s().curves.job.state).toBe('cancelled');
    expect(lab.curvesRunning).toBe(false);
    const evalsAfterCancel = engine.count('evaluate') + engine.count('plan');
    await lab.computeCurves(6);
    expect(s().curves.job.state).toBe('done');
    expect(engine.count('evaluate') + engine.count('plan')).toBeGreaterThan(evalsAfterCancel);
    expect(assembleCurves(s().curves.rankings, s().results.evals, 12, 6).every((x) => x.complete)).toBe(true);
  });

  it('a toggle pre-empts the curves: the pipeline refreshes the perplexity first, then the curves finish', async () => {
    const { lab, s, controller, engine } = await labWorkbench({ delayMs: 10 });
    const run = lab.computeCurves(6);
    await new Promise((r) => setTimeout(r, 60));
    const cancels = engine.count('cancel');
    controller.toggle('attn', 7);
    expect(engine.count('cancel')).toBe(cancels + 1); // the curve call in flight
    await run;
    expect(s().curves.job.state).toBe('done');
    expect(s().results.evals[dropKey({ attn: [7], mlp: [] })]).toBeDefined();
    expect(s().results.analyses[dropKey({ attn: [7], mlp: [] })]).toBeDefined();
    expect(assembleCurves(s().curves.rankings, s().results.evals, 12, 6).every((x) => x.complete)).toBe(true);
  });

  it('a new text stops the curves with a message, and the rankings of the old context are not reused', async () => {
    const { lab, s, controller } = await labWorkbench({ delayMs: 10 });
    const run = lab.computeCurves(6);
    await new Promise((r) => setTimeout(r, 60));
    await controller.setWindowSettings(128, 2);
    await run;
    expect(s().curves.job.state).toBe('cancelled');
    expect(s().curves.job.error).toMatch(/changed/);
    await controller.idle();
    await lab.computeCurves(2);
    expect(s().curves.context).toBe(s().results.context);
    expect(s().results.evals[dropKey(NO_DROPS)]?.seqLen).toBe(128);
  });
});

describe('the task line', () => {
  it('is cleared when a toggle back supersedes a step and everything else is cached', async () => {
    const { s, controller } = await labWorkbench({ delayMs: 40 });
    controller.toggle('attn', 6);
    // Wait until the pipeline of {attn 6} is in its drop-one pass, then toggle back (all cached).
    for (let i = 0; i < 200 && s().results.task?.name !== 'dropOne'; i++) await new Promise((r) => setTimeout(r, 5));
    expect(s().results.task?.name).toBe('dropOne');
    controller.toggle('attn', 6);
    await controller.idle();
    expect(s().results.task).toBeNull();
  });
});

describe('late progress', () => {
  it('a progress callback arriving after the result does not bring the task line back', async () => {
    const { s, controller, engine } = await labWorkbench();
    let late: ((p: { stage: string; done: number; total: number }) => void) | undefined;
    const evaluate = engine.evaluate;
    engine.evaluate = async (drop, onProgress) => {
      late = onProgress;
      return evaluate(drop);
    };
    controller.toggle('attn', 2);
    controller.toggle('mlp', 2); // not instant: evaluated
    await controller.idle();
    expect(late).toBeDefined();
    late?.({ stage: 'evaluate', done: 2, total: 2 });
    expect(s().results.task).toBeNull();
  });
});
