/** The per-token view: visible whitespace, colour domain, summary, and requests through the LabController. */
import { describe, expect, it } from 'vitest';
import { tokenColor, tokenTextColor } from '../../../src/app/tokens/token-colors';
import { tokenCells, tokenDomain, tokenKey, tokenSummary, tokenT, visibleToken } from '../../../src/state/token-view';
import { labWorkbench } from './setup';

describe('per-token helpers', () => {
  it('shows whitespace and control characters, never interprets the text', () => {
    expect(visibleToken('the')).toEqual({ shown: 'the', newline: false });
    expect(visibleToken('\n')).toEqual({ shown: '↵', newline: true });
    expect(visibleToken('a\tb\r')).toEqual({ shown: 'a⇥b␍', newline: false });
    expect(visibleToken('\u0000\u001b\u007f')).toEqual({ shown: '␀␛␡', newline: false });
    expect(visibleToken('<img src=x onerror=alert(1)>').shown).toBe('<img src=x onerror=alert(1)>');
    expect(visibleToken('')).toEqual({ shown: '', newline: false });
  });

  it('colour domain: log from the 2nd percentile of positive values to the 99th percentile; linear from 0', () => {
    const values = Array.from({ length: 200 }, (_, i) => 1e-4 * (i + 1));
    values[0] = 5; // an outlier saturates instead of washing out the rest
    const log = tokenDomain(values, 'log');
    expect(log.log).toBe(true);
    expect(log.max).toBeCloseTo(values.slice().sort((a, b) => a - b)[197], 12);
    expect(log.min).toBeGreaterThan(0);
    expect(tokenT(5, log)).toBe(1);
    const lin = tokenDomain(values, 'linear');
    expect(lin).toMatchObject({ min: 0, log: false });
    expect(tokenT(0, lin)).toBe(0);
    expect(tokenDomain([0, 0, 0], 'log')).toMatchObject({ log: false });
    expect(tokenDomain([], 'log')).toEqual({ min: 0, max: 1, log: false });
  });

  it('cells and summary', () => {
    const r = { kind: 'attn' as const, layer: 2, tokens: ['A', '\n', 'b'], delta: [0.5, 0.01, Number.NaN] };
    const cells = tokenCells(r, tokenDomain(r.delta, 'linear'));
    expect(cells.map((c) => [c.shown, c.newline])).toEqual([
      ['A', false],
      ['↵', true],
      ['b', false],
    ]);
    expect(cells[2].t).toBe(0);
    expect(tokenSummary(r)).toEqual({ mean: 0.255, max: 0.5, argmax: 0, count: 2 });
    expect(tokenKey('ctx', { attn: [3, 1], mlp: [] }, { kind: 'mlp', layer: 4 })).toBe('ctx#a1,3|m#mlp4');
  });

  it('colours: white at 0, dark red at 1, readable text on both', () => {
    expect(tokenColor(0)).toBe('rgb(255, 255, 255)');
    expect(tokenTextColor(0)).toBe('#1b1f24');
    expect(tokenTextColor(1)).toBe('#ffffff');
    expect(tokenColor(Number.NaN)).toBe('rgb(255, 255, 255)');
  });
});

describe('per-token requests (fake engine)', () => {
  it('computes once per sublayer and drop configuration, follows heatmap clicks unless told not to', async () => {
    const { lab, s, controller, engine } = await labWorkbench();
    lab.selectTokens({ kind: 'mlp', layer: 3 });
    await lab.requestTokens();
    expect(engine.count('tokenDelta')).toBe(1);
    const key = tokenKey(s().results.context, s().drops.current, { kind: 'mlp', layer: 3 });
    expect(s().tokenView.results[key]).toMatchObject({ kind: 'mlp', layer: 3 });
    await lab.requestTokens();
    expect(engine.count('tokenDelta')).toBe(1);
    controller.toggle('attn', 5);
    await lab.requestTokens();
    expect(engine.count('tokenDelta')).toBe(2);
    lab.fromHeatmap('attn', 7);
    expect(s().tokenView.selected).toEqual({ kind: 'attn', layer: 7 });
    lab.fromHeatmap('block', 2);
    expect(s().tokenView.selected).toEqual({ kind: 'attn', layer: 7 });
    s().setTokenFollow(false);
    lab.fromHeatmap('mlp', 1);
    expect(s().tokenView.selected).toEqual({ kind: 'attn', layer: 7 });
    lab.selectTokens({ kind: 'mlp', layer: 99 });
    expect(s().tokenView.selected).toEqual({ kind: 'attn', layer: 7 });
  });
});
