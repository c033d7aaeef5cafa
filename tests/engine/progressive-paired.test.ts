/**
 * Progressive evaluation at the workbench's defaults (issue 13 item 6): batches of one window, then the
 * rest ('first-one', batches.ts), so a toggle's first estimate comes after one window; the estimate is
 * paired with the nearest earlier result on the same windows (nll-estimate.ts). Checked against the float64
 * reference (tiny model) and against direct evaluations of the windows done (bundled model); the final
 * value is unchanged.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderFiles } from '../../src/cli/node-files';
import { nodeEngine, threads } from '../../src/cli/ort-node';
import type { DropConfig, NllEstimate, Progress } from '../../src/engine/api';
import { splitDocuments } from '../../src/engine/data';
import { forward64 } from '../reference/forward64';
import { evaluate64 } from '../reference/metrics64';
import { fixture } from './setup';

const NOTHING: DropConfig = { attn: [], mlp: [] };

/** The distinct estimates of one evaluation, in order, and the reports. */
async function estimates(
  e: { evaluate: (d: DropConfig, p: (p: Progress) => void) => Promise<{ meanNll: number }> },
  drop: DropConfig,
) {
  const events: Progress[] = [];
  const r = await e.evaluate(drop, (p) => events.push(p));
  return { r, events, est: [...new Set(events.map((p) => p.estimate).filter((x): x is NllEstimate => !!x))] };
}

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;

describe('evaluate: paired progressive estimates, first batch of one window', () => {
  it('tiny model, batches 1, 2, 2, 1: each estimate is the baseline over all windows plus the mean change (float64 reference)', async () => {
    const f = await fixture('llama-gqa', 'onnxruntime-node', 12, 6, { windows: 2, schedule: 'first-one' });
    try {
      const per = (drop: DropConfig) =>
        f.windows.map((w) => {
          const nll = forward64(f.ref, w, drop).nll;
          return mean(Array.from(nll));
        });
      await f.engine.evaluate(NOTHING);
      const drop = { attn: [1], mlp: [] };
      const { r, events, est } = await estimates(f.engine, drop);
      expect(est.map((e) => [e.windows, e.of])).toEqual([
        [1, 6],
        [3, 6],
        [5, 6],
      ]);
      // The first estimate comes with the first batch, long before the last report.
      const first = events.findIndex((p) => p.estimate);
      expect(events[first].done).toBeLessThan(events[events.length - 1].done / 2);
      const base = per(NOTHING);
      const cur = per(drop);
      const base64 = mean(base);
      for (const e of est) {
        expect(e.pairedWith).toEqual(NOTHING);
        const diffs = cur.slice(0, e.windows).map((c, w) => c - base[w]);
        expect(Math.abs(e.meanNll - (base64 + mean(diffs)))).toBeLessThan(2e-5 * base64);
        if (e.windows === 1) expect(e.se).toBeNaN();
        else {
          const m = mean(diffs);
          const se = Math.sqrt(diffs.reduce((a, x) => a + (x - m) ** 2, 0) / (diffs.length - 1) / diffs.length);
          expect(Math.abs(e.se - se)).toBeLessThan(1e-4 * base64);
          expect(Math.abs(e.se - se) / se).toBeLessThan(0.02);
        }
      }
      // The final value is the float64 reference's, as without estimates.
      const full = evaluate64(f.ref, f.windows, drop);
      expect(Math.abs(r.meanNll - full.meanNll) / full.meanNll).toBeLessThan(1e-5);
      // The next toggle pairs with the nearest remembered result (one sublayer apart), not the baseline.
      const next = { attn: [1], mlp: [2] };
      const n = await estimates(f.engine, next);
      expect(n.est[0].pairedWith).toEqual(drop);
      const curNext = per(next);
      expect(Math.abs(n.est[0].meanNll - (full.meanNll + curNext[0] - cur[0]))).toBeLessThan(2e-5 * base64);
    } finally {
      await f.engine.dispose();
    }
  });

  it('bundled model, 8 windows at the default settings: an estimate after window 1 of 8, equal to direct evaluations', async () => {
    const dir = join(__dirname, '../../public/models/droplab-byte-12l');
    const text = splitDocuments(readFileSync(join(__dirname, '../../public/data/moby-dick-heldout.txt'), 'utf8'));
    const settings = { seqLen: 64, windows: 8 };
    const e = nodeEngine(threads(1)); // the engine's defaults: batches of at most 8, 'first-one'
    const other = nodeEngine({ batchSchedule: 'uniform', ...threads(1) }); // window 0 alone, then one batch of 8
    try {
      for (const x of [e, other]) await x.loadModel({ kind: 'local', name: 'bundled' }, folderFiles(dir));
      await e.setText(text, settings);
      await other.setText(text, { ...settings, windows: 1 });
      expect(Array.from(other.windowIds ?? [])).toEqual(Array.from(e.windowIds?.subarray(0, 64) ?? []));
      const first = await estimates(e, NOTHING);
      // With nothing remembered the first estimate is window 0's own mean NLL (no spread from one window).
      expect(first.est.map((x) => [x.windows, x.of, x.pairedWith])).toEqual([[1, 8, undefined]]);
      const base1 = (await other.evaluate(NOTHING)).meanNll;
      expect(Math.abs(first.est[0].meanNll - base1)).toBeLessThan(1e-6);
      expect(first.est[0].se).toBeNaN();

      const drop = { attn: [], mlp: [6] };
      const t = await estimates(e, drop);
      expect(t.est).toHaveLength(1);
      const [est] = t.est;
      expect([est.windows, est.of, est.pairedWith]).toEqual([1, 8, NOTHING]);
      // Before the last batch: the reports after it count the other seven windows' runs.
      const at = t.events.findIndex((p) => p.estimate);
      expect(t.events.length - at).toBeGreaterThan(10);
      const cur1 = (await other.evaluate(drop)).meanNll;
      expect(Math.abs(est.meanNll - (first.r.meanNll + cur1 - base1))).toBeLessThan(2e-6);
      // The final values do not depend on the batches.
      await other.setText(text, settings);
      expect(Math.abs(first.r.meanNll - (await other.evaluate(NOTHING)).meanNll)).toBeLessThan(1e-6);
      expect(Math.abs(t.r.meanNll - (await other.evaluate(drop)).meanNll)).toBeLessThan(1e-6);
    } finally {
      for (const x of [e, other]) await x.dispose();
    }
  });
});
