/**
 * The controller's side of links and notices (issue 9 items 8-11, issue 10 item 2): a refused link gives
 * the address bar back to the experiment on screen, odd local folder names stay shareable, a dead engine
 * worker raises the lost-device notice, classroom mode travels in the link.
 */
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { type ControllerDeps, type HashPort, WorkbenchController } from '../../src/state/controller';
import { openSavedExperiments } from '../../src/state/saved';
import { decodeExperiment, encodeExperiment, type Experiment } from '../../src/state/share-link';
import { createWorkbenchStore } from '../../src/state/store';
import { createFakeEngine, type FakeOptions } from '../app/fake-engine';

const MANIFEST = JSON.stringify({
  texts: [{ id: 'moby-dick-heldout', title: 'Moby', file: 'moby-dick-heldout.txt', documents: 1, bytes: 1, source: '', licence: '' }],
});
const TEXTS: Record<string, string> = {
  'data/manifest.json': MANIFEST,
  'data/moby-dick-heldout.txt': 'Call me Ishmael. '.repeat(400),
};

function memoryHash(initial = ''): HashPort & { value: string; fire(h: string): void; writes: number } {
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

async function setup(opts: { hash?: string; fake?: FakeOptions; factory?: IDBFactory } = {}) {
  const store = createWorkbenchStore();
  const engine = createFakeEngine(opts.fake);
  const hash = memoryHash(opts.hash ?? '');
  const saved = await openSavedExperiments(opts.factory ?? new IDBFactory());
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
    writeDelayMs: 0,
  };
  const controller = new WorkbenchController(deps);
  await controller.start();
  await controller.idle();
  return { store, engine, hash, controller, saved, s: () => store.getState() };
}

const link = (e: Partial<Experiment>) =>
  encodeExperiment({
    model: { kind: 'bundled', name: 'droplab-byte-12l' },
    drops: { attn: [], mlp: [] },
    text: { kind: 'bundled', id: 'moby-dick-heldout' },
    seqLen: 64,
    windows: 4,
    metric: 'cosine',
    ...e,
  });

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('a refused link gives the address bar back to the experiment on screen', () => {
  it('a pasted damaged link: the hash returns to the experiment shown, and a reload of it shows the same', async () => {
    const { s, hash, controller } = await setup({ hash: link({ drops: { attn: [3], mlp: [] } }) });
    controller.writeNow();
    const shown = hash.value;
    expect(decodeExperiment(shown).drops).toEqual({ attn: [3], mlp: [] });
    hash.fire('#v1&m=b:droplab-byte-12l&da=9,2&t=b:moby-dick-heldout&L=64&n=4');
    expect(s().ui.notice?.title).toBe('This link could not be opened');
    expect(hash.value).toBe(shown);
    expect(s().drops.current).toEqual({ attn: [3], mlp: [] });
  });

  it('a pasted link refused against the model (layer 40 of 12) returns the hash too, after the config was read', async () => {
    const { s, hash, controller } = await setup();
    controller.toggle('mlp', 2);
    await controller.idle();
    controller.writeNow();
    const shown = hash.value;
    hash.fire(`#${link({ model: { kind: 'hub', id: 'someone/tiny' }, drops: { attn: [40], mlp: [] } })}`);
    await tick();
    await controller.idle();
    expect(s().ui.notice?.message).toMatch(/attention layer 40/);
    expect(hash.value).toBe(shown);
    expect(decodeExperiment(hash.value).drops).toEqual({ attn: [], mlp: [2] });
  });

  it('a refused link on a first visit is replaced by the default experiment it shows', async () => {
    const { s, hash } = await setup({ hash: 'v7&m=b:droplab-byte-12l' });
    await tick();
    expect(s().ui.notice?.message).toMatch(/newer DropLab/);
    expect(decodeExperiment(hash.value).model).toEqual({ kind: 'bundled', name: 'droplab-byte-12l' });
  });
});

describe('a dead engine worker', () => {
  it("raises the lost-device notice as 'The engine stopped', stops the task line, and keeps the experiment", async () => {
    const { s, engine, hash, controller } = await setup({ fake: { delayMs: 50 } });
    controller.toggle('attn', 4);
    controller.writeNow();
    const before = hash.value;
    await new Promise((r) => setTimeout(r, 10));
    expect(s().results.task).not.toBeNull(); // computing
    const message = 'The engine stopped (no answer from the engine worker for 60 s while it was working). Reload…';
    engine.onDeviceLost?.(message, 'engine');
    expect(s().backend).toEqual({ state: 'error', error: { code: 'ENGINE_STOPPED', name: 'EngineStoppedError', message } });
    expect(s().ui.notice).toEqual({ kind: 'error', title: 'The engine stopped', message, action: 'reload' });
    expect(s().results.task).toBeNull();
    expect(s().drops.current).toEqual({ attn: [4], mlp: [] });
    controller.writeNow();
    expect(hash.value).toBe(before);
    // The calls it cut short then fail with the same message: no second notice, no panel error.
    s().setNotice(null);
    controller.deviceLost(message);
    expect(s().ui.notice).toBeNull();
    await controller.idle();
    expect(s().results.error).toBeNull();
  });
});

describe('odd local folder names (issue 9 item 10)', () => {
  it('a folder named with markup, quotes, a backtick, a backslash and control characters keeps the URL and autosave following', async () => {
    const { s, hash, controller, saved } = await setup();
    const name = 'my <model> "v2" `x` C:\\m\u0007';
    expect(await controller.loadModel({ kind: 'local', name, files: [] })).toBe(true);
    await controller.idle();
    controller.toggle('mlp', 4);
    controller.writeNow();
    const e = decodeExperiment(hash.value);
    expect(e.model).toEqual({ kind: 'local', name: 'my _model_ _v2_ _x_ C:_m_' });
    expect(e.drops).toEqual({ attn: [], mlp: [4] });
    expect(await saved.getAutosave()).toBe(hash.value);
    expect(s().model.info?.source).toEqual({ kind: 'local', name });
  });

  it('its link, opened afresh, asks for the folder, and picking it (by its real name) applies the link', async () => {
    const name = 'odd "folder" <1>';
    const h = link({ model: { kind: 'local', name }, drops: { attn: [1], mlp: [2] } });
    const { s, controller } = await setup({ hash: h });
    expect(s().ui.notice?.title).toBe('Pick the model folder');
    expect(s().ui.notice?.message).toContain('odd _folder_ _1_');
    await controller.loadModel({ kind: 'local', name, files: [] });
    await controller.idle();
    expect(s().drops.current).toEqual({ attn: [1], mlp: [2] });
    expect(s().ui.notice).toBeNull();
  });
});
