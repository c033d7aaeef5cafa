/** Bad input through the Engine: each gets its own named error, and the engine keeps working after it. */
import { describe, expect, it } from 'vitest';
import { CancelledError, errorFromJSON } from '../../src/engine/errors';
import { TINY_DOCUMENTS, tinyModel } from '../fixtures/tiny-models';
import { ENGINE_RUNTIMES, makeEngine } from './setup';

describe('engine errors', () => {
  it('drop index out of range, text too short, bad settings, no model, and recovery', async () => {
    const tiny = tinyModel('qwen2');
    const e = makeEngine('onnxruntime-node');
    await expect(e.evaluate({ attn: [], mlp: [] })).rejects.toMatchObject({
      code: 'RUNTIME',
      message: expect.stringMatching(/No model is loaded/),
    });
    await e.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
    await expect(e.evaluate({ attn: [], mlp: [] })).rejects.toMatchObject({
      message: expect.stringMatching(/No evaluation text/),
    });
    await expect(e.setText('hi', { seqLen: 64, windows: 1 })).rejects.toMatchObject({
      code: 'TEXT_TOO_SHORT',
      name: 'TextTooShortError',
    });
    await expect(e.setText([...TINY_DOCUMENTS], { seqLen: 1, windows: 1 })).rejects.toMatchObject({
      code: 'SETTINGS_INVALID',
    });
    await expect(e.setText([...TINY_DOCUMENTS], { seqLen: 100000, windows: 1 })).rejects.toMatchObject({
      code: 'SETTINGS_INVALID',
    });
    await e.setText([...TINY_DOCUMENTS], { seqLen: 8, windows: 2 });
    const L = e.model?.spec.numLayers ?? 0;
    for (const bad of [
      { attn: [L], mlp: [] },
      { attn: [-1], mlp: [] },
      { attn: [0.5], mlp: [] },
      { attn: [], mlp: [99] },
    ]) {
      const err = await e.evaluate(bad).catch((x) => x);
      expect(err).toMatchObject({ code: 'DROP_CONFIG_INVALID', name: 'DropConfigError' });
      expect(err.message).toMatch(new RegExp(`layers 0 to ${L - 1}`));
      // the error survives a worker boundary as JSON
      expect(errorFromJSON(JSON.parse(JSON.stringify(err))).name).toBe('DropConfigError');
    }
    const ok = await e.evaluate({ attn: [0], mlp: [] });
    expect(Number.isFinite(ok.perplexity)).toBe(true);
    await e.dispose();
  });

  it('a model too large for the limits is refused before its weights are read', async () => {
    const tiny = tinyModel('llama-gqa');
    const e = makeEngine('onnxruntime-node');
    (e as unknown as { opts: { limits: object } }).opts.limits = { maxTotalBytes: 1000 };
    let readWeights = false;
    const files = {
      names: () => tiny.files.names(),
      read: async (n: string) => {
        if (n.endsWith('.safetensors')) readWeights = true;
        return tiny.files.read(n);
      },
    };
    await expect(e.loadModel({ kind: 'local', name: 'x' }, files)).rejects.toMatchObject({ code: 'MODEL_TOO_LARGE' });
    expect(readWeights).toBe(false);
  });

  it('cancel() rejects the call in flight with CancelledError and the next call works', async () => {
    const tiny = tinyModel('mistral');
    const e = makeEngine('onnxruntime-node', 1);
    await e.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
    await e.setText([...TINY_DOCUMENTS], { seqLen: 8, windows: 6 });
    const p = e.dropOne({ attn: [], mlp: [] }, (pr) => {
      if (pr.done === 3) e.cancel();
    });
    await expect(p).rejects.toBeInstanceOf(CancelledError);
    const r = await e.dropOne({ attn: [], mlp: [] });
    expect(r.attn.every((v) => typeof v === 'number')).toBe(true);
    await e.dispose();
  });

  // A toggle cancels the analysis of the previous configuration halfway through rebuilding the
  // boundary cache (the workbench does this on every quick second click). The cache must not keep the
  // states it had already released: the next call once fed a disposed tensor ("invalid data location").
  for (const rt of ENGINE_RUNTIMES) {
    it(`a call cancelled while the boundary cache is rebuilt leaves the cache usable (${rt})`, async () => {
      const tiny = tinyModel('llama-gqa');
      const e = makeEngine(rt, 2);
      await e.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
      await e.setText([...TINY_DOCUMENTS], { seqLen: 8, windows: 4 });
      const base = await e.analyze({ attn: [], mlp: [] });
      const p = e.analyze({ attn: [0], mlp: [] }, (pr) => {
        if (pr.stage === 'analyze' && pr.done === 2) e.cancel();
      });
      await expect(p).rejects.toBeInstanceOf(CancelledError);
      // back on the configuration the cache was built for, then one that reuses its first states
      const again = await e.analyze({ attn: [], mlp: [] });
      expect(again.eval.meanNll).toBeCloseTo(base.eval.meanNll, 9);
      expect(again.importance.attn).toEqual(base.importance.attn);
      const drop = { attn: [], mlp: [1] };
      const after = await e.evaluate(drop);
      const fresh = makeEngine(rt, 2);
      await fresh.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
      await fresh.setText([...TINY_DOCUMENTS], { seqLen: 8, windows: 4 });
      const want = await fresh.evaluate(drop);
      expect(Math.abs(after.meanNll - want.meanNll)).toBeLessThan(1e-6);
      expect(after.meanNll).not.toBeCloseTo(base.eval.meanNll, 3);
      await e.dispose();
      await fresh.dispose();
    });
  }
});
