import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { asSavedExperiment, openSavedExperiments } from '../../src/state/saved';

describe('saved experiments (IndexedDB)', () => {
  it('saves, lists newest first, deletes, and keeps the autosave', async () => {
    const factory = new IDBFactory();
    const db = await openSavedExperiments(factory);
    await db.put({ id: 'a', name: 'first', savedAt: 1, hash: 'v1&m=b:x', summary: 's1' });
    await db.put({ id: 'b', name: 'second', savedAt: 2, hash: 'v1&m=b:y', summary: 's2' });
    expect((await db.list()).map((x) => x.id)).toEqual(['b', 'a']);
    await db.remove('b');
    expect((await db.list()).map((x) => x.id)).toEqual(['a']);
    expect(await db.getAutosave()).toBeNull();
    await db.setAutosave('v1&m=b:z');
    db.close();
    const again = await openSavedExperiments(factory);
    expect(await again.getAutosave()).toBe('v1&m=b:z');
    expect((await again.list()).map((x) => x.name)).toEqual(['first']);
    again.close();
  });

  it('skips damaged records instead of trusting them', async () => {
    const factory = new IDBFactory();
    const db = await openSavedExperiments(factory);
    await db.put({ id: 'ok', name: 'ok', savedAt: 1, hash: 'v1', summary: '' });
    db.close();
    // Write junk directly.
    await new Promise<void>((resolve, reject) => {
      const open = factory.open('droplab', 1);
      open.onsuccess = () => {
        const tx = open.result.transaction('experiments', 'readwrite');
        tx.objectStore('experiments').put({ id: 'junk', name: 42, savedAt: 'x' });
        tx.objectStore('experiments').put({ id: 'junk2', name: 'n', savedAt: 3, hash: { evil: true } });
        tx.oncomplete = () => {
          open.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
    });
    const again = await openSavedExperiments(factory);
    expect((await again.list()).map((x) => x.id)).toEqual(['ok']);
    again.close();
  });

  it('validates record shapes', () => {
    expect(asSavedExperiment(null)).toBeNull();
    expect(asSavedExperiment({ id: '', name: 'x', savedAt: 1, hash: '' })).toBeNull();
    expect(asSavedExperiment({ id: 'a', name: 'x', savedAt: 1, hash: 'h' })).toEqual({
      id: 'a',
      name: 'x',
      savedAt: 1,
      hash: 'h',
      summary: '',
    });
  });
});
