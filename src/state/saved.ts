/**
 * Saved experiments and the autosaved current experiment, in IndexedDB. A record holds the share-link
 * hash (one format for links and saved experiments), so reopening goes through the same validation as a
 * link. Records read back are checked field by field: a damaged database is skipped, never trusted.
 */
import type { SavedExperiment } from './store';

export interface SavedExperimentsDb {
  list(): Promise<SavedExperiment[]>;
  put(e: SavedExperiment): Promise<void>;
  remove(id: string): Promise<void>;
  getAutosave(): Promise<string | null>;
  setAutosave(hash: string): Promise<void>;
  /**
   * Calls back when another tab (or another connection in this one) saved or deleted an experiment, so
   * the list shown stays current; returns an unsubscribe. Absent where BroadcastChannel is.
   */
  onChange?(cb: () => void): () => void;
  close(): void;
}

/** The BroadcastChannel that tells other tabs of this origin that the saved list changed. */
export const SAVED_CHANNEL = 'droplab-saved-experiments';

const DB_VERSION = 1;
const EXPERIMENTS = 'experiments';
const META = 'meta';
const AUTOSAVE_KEY = 'autosave';
const MAX_SAVED_HASH = 200_000;

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

/** A stored record, if it has the right shape. */
export function asSavedExperiment(v: unknown): SavedExperiment | null {
  if (!v || typeof v !== 'object') return null;
  const r = v as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 100) return null;
  if (typeof r.name !== 'string' || r.name.length > 200) return null;
  if (typeof r.savedAt !== 'number' || !Number.isFinite(r.savedAt)) return null;
  if (typeof r.hash !== 'string' || r.hash.length > MAX_SAVED_HASH) return null;
  const summary = typeof r.summary === 'string' ? r.summary.slice(0, 300) : '';
  return { id: r.id, name: r.name, savedAt: r.savedAt, hash: r.hash, summary };
}

export async function openSavedExperiments(
  factory: IDBFactory = indexedDB,
  name = 'droplab',
): Promise<SavedExperimentsDb> {
  const open = factory.open(name, DB_VERSION);
  open.onupgradeneeded = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains(EXPERIMENTS)) db.createObjectStore(EXPERIMENTS, { keyPath: 'id' });
    if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
  };
  const db = await req(open);
  // Other tabs learn of our changes through this channel (IndexedDB itself sends no change events).
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(SAVED_CHANNEL) : null;
  const changed = () => {
    try {
      channel?.postMessage({ changed: Date.now() });
    } catch {
      // a closed channel: nobody to tell
    }
  };
  return {
    async list() {
      const tx = db.transaction(EXPERIMENTS, 'readonly');
      const all = await req(tx.objectStore(EXPERIMENTS).getAll());
      return all
        .map(asSavedExperiment)
        .filter((x): x is SavedExperiment => x !== null)
        .sort((a, b) => b.savedAt - a.savedAt);
    },
    async put(e) {
      const rec = asSavedExperiment(e);
      if (!rec) throw new Error('Not a valid saved experiment.');
      const tx = db.transaction(EXPERIMENTS, 'readwrite');
      tx.objectStore(EXPERIMENTS).put(rec);
      await done(tx);
      changed();
    },
    async remove(id) {
      const tx = db.transaction(EXPERIMENTS, 'readwrite');
      tx.objectStore(EXPERIMENTS).delete(id);
      await done(tx);
      changed();
    },
    async getAutosave() {
      const tx = db.transaction(META, 'readonly');
      const v = await req(tx.objectStore(META).get(AUTOSAVE_KEY));
      return typeof v === 'string' && v.length <= MAX_SAVED_HASH ? v : null;
    },
    async setAutosave(hash) {
      const tx = db.transaction(META, 'readwrite');
      tx.objectStore(META).put(hash, AUTOSAVE_KEY);
      await done(tx);
    },
    ...(channel
      ? {
          onChange(cb: () => void) {
            const on = () => cb();
            channel.addEventListener('message', on);
            return () => channel.removeEventListener('message', on);
          },
        }
      : {}),
    close: () => {
      channel?.close();
      db.close();
    },
  };
}

/** An id for a new saved experiment. */
export function newExperimentId(now = Date.now()): string {
  const rand = Math.floor(Math.random() * 0x100000000).toString(36);
  return `${now.toString(36)}-${rand}`;
}

/** A saved summary with its perplexity ("… · ppl 5.06"), replacing one already there. */
export function summaryWithPerplexity(summary: string, perplexity: number): string {
  return `${summary.replace(/ · ppl [^·]*$/, '')} · ppl ${perplexity.toFixed(2)}`;
}

/**
 * Add the perplexity that arrived after saving to record `id`, if it is still there and has none.
 * Returns whether the record changed.
 */
export async function addPerplexity(db: SavedExperimentsDb, id: string, perplexity: number): Promise<boolean> {
  const rec = (await db.list()).find((x) => x.id === id);
  if (!rec || / · ppl [^·]*$/.test(rec.summary) || !Number.isFinite(perplexity)) return false;
  await db.put({ ...rec, summary: summaryWithPerplexity(rec.summary, perplexity) });
  return true;
}
