/** An experiment saved before its perplexity arrived gets it when it does (issue 10, item 6). */
import { describe, expect, it } from 'vitest';
import { dropKey } from '../../src/state/drops';
import { IDBFactory } from 'fake-indexeddb';
import { addPerplexity, openSavedExperiments, summaryWithPerplexity } from '../../src/state/saved';
import { setup } from './setup';

/** A workbench whose engine calls take a little time, so a save can come before the perplexity. */
async function workbench() {
  const w = await setup({ fake: { delayMs: 20 } });
  return { ...w, saved: w.saved as NonNullable<typeof w.saved> };
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
