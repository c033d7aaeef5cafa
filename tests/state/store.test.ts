import { describe, expect, it } from 'vitest';
import { describeDrops, dropKey, singleAddedDrop, toggleBlock, toggleDrop } from '../../src/state/drops';
import { contextKey, createWorkbenchStore, evalFromDropOne, HISTORY_LIMIT, uiError } from '../../src/state/store';
import { SettingsError } from '../../src/engine/errors';

describe('drop helpers', () => {
  it('toggles and keeps lists sorted and unique', () => {
    let d = { attn: [] as number[], mlp: [] as number[] };
    d = toggleDrop(d, 'attn', 5);
    d = toggleDrop(d, 'attn', 2);
    d = toggleDrop(d, 'mlp', 7);
    expect(d).toEqual({ attn: [2, 5], mlp: [7] });
    expect(toggleDrop(d, 'attn', 5)).toEqual({ attn: [2], mlp: [7] });
    expect(dropKey(d)).toBe('a2,5|m7');
    expect(describeDrops(d)).toBe('attention 2, 5 · MLP 7');
    expect(describeDrops({ attn: [], mlp: [] })).toBe('nothing dropped');
  });
  it('toggles a block as both sublayers', () => {
    const d = toggleBlock({ attn: [3], mlp: [] }, 3);
    expect(d).toEqual({ attn: [3], mlp: [3] });
    expect(toggleBlock(d, 3)).toEqual({ attn: [], mlp: [] });
  });
  it('finds the single added drop', () => {
    expect(singleAddedDrop({ attn: [1], mlp: [] }, { attn: [1], mlp: [4] })).toEqual({ kind: 'mlp', layer: 4 });
    expect(singleAddedDrop({ attn: [1], mlp: [] }, { attn: [], mlp: [] })).toBeNull();
    expect(singleAddedDrop({ attn: [], mlp: [] }, { attn: [1], mlp: [2] })).toBeNull();
  });
});

describe('drops slice: undo/redo', () => {
  it('records history, undoes and redoes, and a new change clears redo', () => {
    const store = createWorkbenchStore();
    const s = () => store.getState();
    s().setDrops({ attn: [1], mlp: [] });
    s().setDrops({ attn: [1, 2], mlp: [] });
    s().setDrops({ attn: [1, 2], mlp: [] }); // no-op
    expect(s().drops.past).toHaveLength(2);
    s().undo();
    expect(s().drops.current).toEqual({ attn: [1], mlp: [] });
    s().undo();
    expect(s().drops.current).toEqual({ attn: [], mlp: [] });
    s().undo(); // nothing left
    expect(s().drops.current).toEqual({ attn: [], mlp: [] });
    s().redo();
    expect(s().drops.current).toEqual({ attn: [1], mlp: [] });
    s().setDrops({ attn: [1], mlp: [0] });
    expect(s().drops.future).toEqual([]);
    s().redo();
    expect(s().drops.current).toEqual({ attn: [1], mlp: [0] });
  });
  it('normalizes what it stores and caps the history', () => {
    const store = createWorkbenchStore();
    store.getState().setDrops({ attn: [5, 1, 5], mlp: [] });
    expect(store.getState().drops.current).toEqual({ attn: [1, 5], mlp: [] });
    for (let i = 0; i < HISTORY_LIMIT + 50; i++) store.getState().setDrops({ attn: [i % 2 ? 1 : 2], mlp: [i] });
    expect(store.getState().drops.past.length).toBe(HISTORY_LIMIT);
  });
  it('records each change as an action record (before/after), moved between past and future', () => {
    const store = createWorkbenchStore();
    const s = () => store.getState();
    const a = { attn: [1], mlp: [] };
    const b = { attn: [1], mlp: [3] };
    expect(s().setDrops(a)).toEqual({ before: { attn: [], mlp: [] }, after: a });
    expect(s().setDrops(b)).toEqual({ before: a, after: b });
    expect(s().setDrops(b)).toBeNull(); // no change, no record
    expect(s().drops.past).toEqual([
      { before: { attn: [], mlp: [] }, after: a },
      { before: a, after: b },
    ]);
    const undone = s().undo();
    expect(undone).toEqual({ before: a, after: b });
    expect(s().drops.future).toEqual([undone]);
    expect(s().redo()).toBe(undone);
    expect(s().drops.current).toEqual(b);
    expect(s().redo()).toBeNull();
  });
  it('resetDrops forgets the history', () => {
    const store = createWorkbenchStore();
    store.getState().setDrops({ attn: [1], mlp: [] });
    store.getState().resetDrops({ attn: [2], mlp: [] });
    expect(store.getState().drops).toEqual({ current: { attn: [2], mlp: [] }, past: [], future: [] });
  });
});

describe('results slice', () => {
  const ev = (attn: number[], nll: number) => ({
    drop: { attn, mlp: [] },
    meanNll: nll,
    perplexity: Math.exp(nll),
    tokens: 100,
    seqLen: 11,
    windows: 10,
  });
  it('keeps results of the current context only', () => {
    const store = createWorkbenchStore();
    store.getState().resetResults('ctx1');
    store.getState().putEval('ctx1', ev([], 1));
    store.getState().putEval('old', ev([1], 2));
    expect(Object.keys(store.getState().results.evals)).toEqual(['a|m']);
    store.getState().resetResults('ctx2');
    expect(store.getState().results.evals).toEqual({});
  });
  it('derives the perplexity of one more drop from drop-one results', () => {
    const r = evalFromDropOne(
      { base: { attn: [1], mlp: [] }, baseNll: 2, attn: [0.5, null, 0.1], mlp: [0.2, 0.3, 0.4] },
      'attn',
      2,
      ev([1], 2),
    );
    expect(r).toMatchObject({ drop: { attn: [1, 2], mlp: [] }, meanNll: 2.1, tokens: 100, seqLen: 11, windows: 10 });
    expect(r!.perplexity).toBeCloseTo(Math.exp(2.1), 12);
    expect(
      evalFromDropOne(
        { base: { attn: [1], mlp: [] }, baseNll: 2, attn: [0.5, null], mlp: [0, 0] },
        'attn',
        1,
        ev([1], 2),
      ),
    ).toBeNull();
  });
  it('context key changes with model generation, text and windows', () => {
    const store = createWorkbenchStore();
    expect(contextKey(store.getState())).toBe('');
    store.setState((s) => ({
      model: { ...s.model, info: {} as never, generation: 1 },
      data: { ...s.data, info: { seqLen: 256, windows: 8, textTokens: 1, availableWindows: 1, predictedTokens: 1 } },
    }));
    const k1 = contextKey(store.getState());
    store.getState().setTextChoice({ kind: 'paste', text: 'abc' });
    const k2 = contextKey(store.getState());
    store.getState().setTextChoice({ kind: 'paste', text: 'abd' });
    expect(new Set([k1, k2, contextKey(store.getState())]).size).toBe(3);
  });
});

describe('uiError', () => {
  it('keeps code, name and message of named errors', () => {
    expect(uiError(new SettingsError('too long'))).toEqual({
      code: 'SETTINGS_INVALID',
      name: 'SettingsError',
      message: 'too long',
    });
    expect(uiError('boom')).toEqual({ code: 'RUNTIME', name: 'Error', message: 'boom' });
  });
});
