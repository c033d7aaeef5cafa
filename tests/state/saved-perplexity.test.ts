/** An experiment saved before its perplexity arrived gets it when it does (issue 10, item 6). */
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { WorkbenchController } from '../../src/state/controller';
import { dropKey } from '../../src/state/drops';
import { addPerplexity, openSavedExperiments, summaryWithPerplexity } from '../../src/state/saved';
import { createWorkbenchStore } from '../../src/state/store';
import { createFakeEngine } from '../app/fake-engine';

const TEXTS: Record<string, string> = {
  'data/manifest.json': JSON.stringify({
    texts: [{ id: 'moby-dick-heldout', title: 'Moby-Dick (held out)', file: 'moby-dick-heldout.txt' }],
  }),
  'data/moby-dick-heldout.txt': 'Call me Ishmael. '.repeat(400),
};

async function workbench() {
  const store = createWorkbenchStore();
  const engine = createFakeEngine({ delayMs: 20 });
  let h = '';
  const saved = await openSavedExperiments(new IDBFactory());
  const controller = new WorkbenchController({
    store,
    engine,
    init: { backend: 'auto', hubEndpoint: 'https://huggingface.co', baseUrl: 'http://x/' },
    fetchText: async (p) => TEXTS[p],
    hash: { get: () => h, replace: (x) => (h = x), onChange: () => () => {} },
    saved,
    writeDelayMs: 0,
  });
  await controller.start();
  await controller.idle();
  return { store, controller, saved, s: () => store.getState() };
}

describe('saved experiments and late perplexities', () => {
  it('summaryWithPerplexity adds or replaces the perplexity; addPerplexity leaves a missing record alone', async () => {
    expect(summaryWithPerplexity('droplab-byte-12l · attention 3', 5.0612)).toBe(
      'droplab-byte-12l · attention 3 · ppl 5.06',
    );
    expect(summaryWithPerplexity('m · MLP 1 · ppl 9.00', 7.5)).toBe('m · MLP 1 · ppl 7.50');
    const db = await openSavedExperiments(new IDBFactory());
    expect(await addPerplexity(db, 'gone', 5)).toBe(false);
    await db.put({ id: 'a', name: 'a', savedAt: 1, hash: 'v1', summary: 'm · nothing dropped · ppl 4.00' });
    expect(await addPerplexity(db, 'a', 5)).toBe(false); // already has one
    expect((await db.list())[0].summary).toBe('m · nothing dropped · ppl 4.00');
  });

  it('saved while the perplexity is computing: the record gets it when it arrives', async () => {
    const { controller, saved, s } = await workbench();
    controller.toggle('attn', 2); // instant, from the drop-one results of the full model
    controller.toggle('mlp', 2); // not instant: evaluated by the engine
    const key = dropKey({ attn: [2], mlp: [2] });
    expect(s().results.evals[key]).toBeUndefined();
    expect(await controller.save('early')).toBe(true);
    const before = (await saved.list()).find((x) => x.name === 'early');
    expect(before?.summary).not.toMatch(/ppl/);
    await controller.idle();
    const ppl = s().results.evals[key]?.perplexity;
    expect(ppl).toBeGreaterThan(1);
    // The write is asynchronous (IndexedDB): wait for the list in the store to show it.
    for (
      let i = 0;
      i < 100 &&
      !s()
        .saved.list.find((x) => x.name === 'early')
        ?.summary.includes('ppl');
      i++
    )
      await new Promise((r) => setTimeout(r, 10));
    const after = (await saved.list()).find((x) => x.name === 'early');
    expect(after?.summary).toBe(`${before?.summary} · ppl ${(ppl as number).toFixed(2)}`);
    expect(s().saved.list.find((x) => x.name === 'early')?.summary).toBe(after?.summary);
    controller.stop();
  });
});
