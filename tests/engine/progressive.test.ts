/**
 * Progressive evaluation (issue 13 item 6): evaluate() reports an estimate after each window batch but
 * the last (and keeps it on the reports that follow), from the windows done so far: the mean NLL of those windows and its standard error over
 * windows, both equal to the float64 reference of the same windows. The final result is unchanged.
 */
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../src/engine/api';
import { forward64 } from '../reference/forward64';
import { evaluate64 } from '../reference/metrics64';
import { fixture } from './setup';

describe('evaluate: progressive estimates, window batch by window batch', () => {
  it('estimates after 2 and 4 of 6 windows equal the float64 reference; the final result as before', async () => {
    const f = await fixture('llama-gqa', 'onnxruntime-node', 12, 6); // batches of 2 windows
    try {
      const drop = { attn: [1], mlp: [] };
      const events: Progress[] = [];
      const r = await f.engine.evaluate(drop, (p) => events.push(p));
      // Each estimate arrives with the batch that made it and stays on the reports after it.
      const est = [...new Set(events.map((p) => p.estimate).filter((e) => e !== undefined))];
      const firstWith = events.findIndex((p) => p.estimate);
      expect(events.slice(firstWith).every((p) => p.estimate)).toBe(true);
      expect(est.map((e) => [e.windows, e.of])).toEqual([
        [2, 6],
        [4, 6],
      ]);
      for (const e of est) {
        const ref = evaluate64(f.ref, f.windows.slice(0, e.windows), drop);
        expect(Math.abs(e.meanNll - ref.meanNll) / ref.meanNll).toBeLessThan(1e-5);
        // Standard error of the per-window mean NLL, from the reference's per-token NLL.
        const means = f.windows.slice(0, e.windows).map((w) => {
          const nll = forward64(f.ref, w, drop).nll;
          return nll.reduce((a, b) => a + b, 0) / nll.length;
        });
        const m = means.reduce((a, b) => a + b, 0) / means.length;
        const se = Math.sqrt(means.reduce((a, x) => a + (x - m) ** 2, 0) / (means.length - 1) / means.length);
        expect(Math.abs(e.se - se) / se).toBeLessThan(1e-4);
      }
      // Progress counts stay monotone and within the total.
      const done = events.map((p) => p.done);
      expect(done).toEqual([...done].sort((a, b) => a - b));
      expect(Math.max(...done)).toBeLessThanOrEqual(events[0].total);
      const full = evaluate64(f.ref, f.windows, drop);
      expect(Math.abs(r.meanNll - full.meanNll) / full.meanNll).toBeLessThan(1e-5);
      // A second call is served from the cache: no estimates, same numbers.
      const again: Progress[] = [];
      expect((await f.engine.evaluate(drop, (p) => again.push(p))).meanNll).toBe(r.meanNll);
      expect(again.some((p) => p.estimate)).toBe(false);
    } finally {
      await f.engine.dispose();
    }
  });
});
