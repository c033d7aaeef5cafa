/**
 * The boundary cache: after any sequence of toggles, incremental evaluation gives exactly what a
 * full re-evaluation from the embedding gives, and a toggle at sublayer s re-runs only s.. onward.
 */
import { describe, expect, it } from 'vitest';
import type { DropConfig } from '../../src/engine/api';
import { mulberry32, TINY_DOCUMENTS, tinyModel } from '../fixtures/tiny-models';
import { makeEngine } from './setup';

function toggle(drop: DropConfig, kind: 'attn' | 'mlp', l: number): DropConfig {
  const s = new Set(drop[kind]);
  if (s.has(l)) s.delete(l);
  else s.add(l);
  return { ...drop, [kind]: [...s].sort((a, b) => a - b) };
}

describe('incremental evaluation', () => {
  it('equals a full re-evaluation after a random sequence of 30 toggles', async () => {
    const tiny = tinyModel('llama-gqa');
    const cached = makeEngine('onnxruntime-node');
    const fresh = makeEngine('onnxruntime-node');
    for (const e of [cached, fresh]) {
      await e.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
      await e.setText([...TINY_DOCUMENTS], { seqLen: 10, windows: 5 });
    }
    const L = 2;
    const rand = mulberry32(7);
    let drop: DropConfig = { attn: [], mlp: [] };
    for (let i = 0; i < 30; i++) {
      drop = toggle(drop, rand() < 0.5 ? 'attn' : 'mlp', Math.floor(rand() * L));
      const inc = await cached.evaluateTokens(drop);
      // a new text invalidates every cached state: the next evaluation runs everything from the embedding
      await fresh.setText([...TINY_DOCUMENTS], { seqLen: 10, windows: 5 });
      const full = await fresh.evaluateTokens(drop);
      expect(Array.from(inc.nll)).toEqual(Array.from(full.nll));
      expect(inc.meanNll).toBe(full.meanNll);
    }
    await cached.dispose();
    await fresh.dispose();
  });

  it('a toggle re-runs only the toggled sublayer onward (counted session runs)', async () => {
    const tiny = tinyModel('llama-tied');
    const e = makeEngine('onnxruntime-node', 8); // one chunk
    await e.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
    await e.setText([...TINY_DOCUMENTS], { seqLen: 10, windows: 4 });
    const L = e.model?.spec.numLayers ?? 0;
    let runs = e.sessionRuns;
    await e.evaluate({ attn: [], mlp: [] });
    expect(e.sessionRuns - runs).toBe(1 + 2 * L + 1); // embedding, every sublayer, head
    runs = e.sessionRuns;
    await e.evaluate({ attn: [], mlp: [] });
    expect(e.sessionRuns - runs).toBe(0); // the same configuration again: remembered, nothing runs
    runs = e.sessionRuns;
    await e.evaluate({ attn: [L - 1], mlp: [] }); // drop the last attention: only the last MLP and the head run
    expect(e.sessionRuns - runs).toBe(2);
    runs = e.sessionRuns;
    await e.evaluate({ attn: [L - 1], mlp: [0] }); // drop MLP 0: sublayers 2.. (minus the dropped attention) rerun
    expect(e.sessionRuns - runs).toBe(2 * L - 2 - 1 + 1);
    runs = e.sessionRuns;
    const r = await e.dropOne({ attn: [L - 1], mlp: [0] });
    const again = await e.evaluate({ attn: [L - 1], mlp: [0, 1] }); // a drop-one neighbour: remembered
    expect(again.meanNll - r.baseNll).toBeCloseTo(r.mlp[1] as number, 12);
    runs = e.sessionRuns;
    await e.evaluate({ attn: [L - 1], mlp: [0, 1] });
    expect(e.sessionRuns - runs).toBe(0);
    await e.dispose();
  });
});
