/** What the controller tests share: bundled texts, an in-memory URL hash, a started controller, links. */
import { IDBFactory } from 'fake-indexeddb';
import { type ControllerDeps, WorkbenchController } from '../../src/state/controller';
import type { HashPort } from '../../src/state/url-sync';
import { openSavedExperiments } from '../../src/state/saved';
import { encodeExperiment, type Experiment } from '../../src/state/share-link';
import { createWorkbenchStore } from '../../src/state/store';
import { createFakeEngine, type FakeOptions } from '../app/fake-engine';

const MANIFEST = JSON.stringify({
  texts: [
    {
      id: 'moby-dick-heldout',
      title: 'Moby',
      file: 'moby-dick-heldout.txt',
      documents: 1,
      bytes: 1,
      source: '',
      licence: '',
    },
    { id: 'sotu-heldout', title: 'SOTU', file: 'sotu-heldout.txt', documents: 1, bytes: 1, source: '', licence: '' },
  ],
});
export const TEXTS: Record<string, string> = {
  'data/manifest.json': MANIFEST,
  'data/moby-dick-heldout.txt': 'Call me Ishmael. '.repeat(400),
  'data/sotu-heldout.txt': 'Madam Speaker. '.repeat(300),
  // The offline task (public/tasks): 40 items of 4 choices, gold spread over the positions.
  'tasks/word-completion.jsonl': Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({ context: `Item ${i}: the whale`, choices: [' swam', ' sang', ' slept on', ' sank'], gold: i % 4 }),
  ).join('\n'),
};

/** The URL hash as a variable: `fire` is a person pasting a link, `writes` counts the controller's writes. */
export function memoryHash(initial = ''): HashPort & { value: string; fire(h: string): void; writes: number } {
  let listener: ((h: string) => void) | null = null;
  const port = {
    value: initial,
    writes: 0,
    get: () => port.value,
    replace: (h: string) => {
      port.value = h;
      port.writes++;
    },
    onChange: (cb: (h: string) => void) => {
      listener = cb;
      return () => {
        listener = null;
      };
    },
    fire: (h: string) => {
      port.value = h.replace(/^#/, '');
      listener?.(h);
    },
  };
  return port;
}

export interface SetupOptions {
  hash?: string;
  fake?: FakeOptions;
  /** false: no saved experiments (IndexedDB refused). */
  saved?: boolean;
  factory?: IDBFactory;
  writeDelayMs?: number;
  /** Return before start() settles (`started` is its promise). */
  noWait?: boolean;
}

/** A controller over the fake engine, started (and idle unless noWait). */
export async function setup(opts: SetupOptions = {}) {
  const store = createWorkbenchStore();
  const engine = createFakeEngine(opts.fake);
  const hash = memoryHash(opts.hash ?? '');
  const saved = opts.saved === false ? null : await openSavedExperiments(opts.factory ?? new IDBFactory());
  const deps: ControllerDeps = {
    store,
    engine,
    init: { backend: 'auto', hubEndpoint: 'https://huggingface.co', baseUrl: 'http://x/' },
    fetchText: async (p) => {
      if (!(p in TEXTS)) throw new Error(`404 ${p}`);
      return TEXTS[p];
    },
    hash,
    saved,
    writeDelayMs: opts.writeDelayMs ?? 0,
  };
  const controller = new WorkbenchController(deps);
  const started = controller.start();
  if (!opts.noWait) {
    await started;
    await controller.idle();
  }
  return { store, engine, hash, controller, saved, started, s: () => store.getState() };
}

/** A share link of the bundled model with small windows, overridden by `e`. */
export const link = (e: Partial<Experiment>) =>
  encodeExperiment({
    model: { kind: 'bundled', name: 'droplab-byte-12l' },
    drops: { attn: [], mlp: [] },
    text: { kind: 'bundled', id: 'moby-dick-heldout' },
    seqLen: 64,
    windows: 4,
    metric: 'cosine',
    ...e,
  });
