/** A workbench (store + controller + LabController) on the fake engine, for the lab tests. */
import type { EvalResult } from '../../../src/engine/api';
import { WorkbenchController } from '../../../src/state/controller';
import { labFor } from '../../../src/state/lab-controller';
import { createWorkbenchStore } from '../../../src/state/store';
import { createFakeEngine, type FakeOptions } from '../fake-engine';

const TEXTS: Record<string, string> = {
  'data/manifest.json': JSON.stringify({
    texts: [{ id: 'moby-dick-heldout', title: 'Moby-Dick (held out)', file: 'moby-dick-heldout.txt' }],
  }),
  'data/moby-dick-heldout.txt': 'Call me Ishmael. '.repeat(400),
};

export async function labWorkbench(fake: FakeOptions = {}) {
  const store = createWorkbenchStore();
  const engine = createFakeEngine(fake);
  let h = '';
  const controller = new WorkbenchController({
    store,
    engine,
    init: { backend: 'auto', hubEndpoint: 'https://huggingface.co', baseUrl: 'http://x/' },
    fetchText: async (p) => TEXTS[p],
    hash: { get: () => h, replace: (x) => (h = x), onChange: () => () => {} },
    saved: null,
    writeDelayMs: 0,
  });
  await controller.start();
  await controller.idle();
  const lab = labFor(store, controller);
  return { store, engine, controller, lab, s: () => store.getState() };
}

/** An evaluation result with perplexity `ppl` for the given drops (2 windows of 64 tokens). */
export const ev = (attn: number[], mlp: number[], ppl: number): EvalResult => ({
  drop: { attn, mlp },
  meanNll: Math.log(ppl),
  perplexity: ppl,
  tokens: 126,
  seqLen: 64,
  windows: 2,
});
