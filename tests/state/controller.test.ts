import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { DeviceLostError } from '../../src/engine/errors';
import { WorkbenchController } from '../../src/state/controller';
import { dropKey } from '../../src/state/drops';
import { decodeExperiment } from '../../src/state/share-link';
import { createWorkbenchStore, currentEval } from '../../src/state/store';
import { createFakeEngine } from '../app/fake-engine';
import { link, memoryHash, setup, TEXTS } from './setup';

describe('controller: first visit', () => {
  it('loads the bundled model, the default text, and computes baseline, analysis and drop-one', async () => {
    const { s, engine, hash, controller } = await setup();
    expect(s().backend.state).toBe('ready');
    expect(s().model.status).toBe('ready');
    expect(s().model.info?.source).toEqual({ kind: 'bundled', name: 'droplab-byte-12l' });
    expect(s().data.info).toMatchObject({ seqLen: 256, windows: 8 });
    expect(s().results.analyses['a|m']).toBeDefined();
    expect(s().results.dropOnes['a|m']).toBeDefined();
    expect(currentEval(s())?.perplexity).toBeCloseTo(Math.exp(engine.nll({ attn: [], mlp: [] })), 10);
    expect(s().ui.ready).toBe(true);
    controller.writeNow();
    expect(decodeExperiment(hash.value).model).toEqual({ kind: 'bundled', name: 'droplab-byte-12l' });
    // One analysis for the baseline (it carries the eval): no separate evaluate call.
    expect(engine.count('evaluate')).toBe(0);
    expect(engine.count('analyze')).toBe(1);
  });
});

describe('controller: dropping', () => {
  it('shows the perplexity of a toggle at once from drop-one results, then refreshes', async () => {
    const { s, engine, controller } = await setup();
    const evaluateBefore = engine.count('evaluate');
    controller.toggle('attn', 5);
    // Synchronously available: derived from dropOne(base).
    const now = currentEval(s());
    expect(now?.perplexity).toBeCloseTo(Math.exp(engine.nll({ attn: [5], mlp: [] })), 10);
    expect(now?.tokens).toBe(s().data.info!.predictedTokens);
    await controller.idle();
    expect(engine.count('evaluate')).toBe(evaluateBefore); // never needed
    expect(s().results.analyses[dropKey({ attn: [5], mlp: [] })]).toBeDefined();
    expect(s().results.dropOnes[dropKey({ attn: [5], mlp: [] })]).toBeDefined();
  });

  it('evaluates when no drop-one result holds the value, and cancels superseded work', async () => {
    const { s, engine, controller } = await setup({ fake: { delayMs: 40 } });
    const tick = () => new Promise((r) => setTimeout(r, 15));
    controller.toggle('attn', 3);
    await tick();
    expect(s().results.task?.name).toBe('analyze');
    controller.toggle('attn', 4); // while the analysis of {3} runs: cancelled
    await tick();
    controller.toggle('mlp', 2);
    await controller.idle();
    expect(engine.count('cancel')).toBeGreaterThan(0);
    const d = { attn: [3, 4], mlp: [2] };
    expect(s().drops.current).toEqual(d);
    expect(currentEval(s())?.meanNll).toBeCloseTo(engine.nll(d), 10);
    expect(s().results.analyses[dropKey(d)]).toBeDefined();
    expect(s().results.task).toBeNull();
  });

  it('undo and redo restore drops and their cached perplexity', async () => {
    const { s, controller, engine } = await setup();
    controller.toggle('mlp', 7);
    await controller.idle();
    controller.toggle('attn', 1);
    await controller.idle();
    const calls = engine.calls.length;
    controller.undo();
    expect(s().drops.current).toEqual({ attn: [], mlp: [7] });
    expect(currentEval(s())?.meanNll).toBeCloseTo(engine.nll({ attn: [], mlp: [7] }), 10);
    await controller.idle();
    expect(engine.calls.length).toBe(calls); // everything cached
    controller.redo();
    expect(s().drops.current).toEqual({ attn: [1], mlp: [7] });
    controller.undo();
    controller.undo();
    expect(s().drops.current).toEqual({ attn: [], mlp: [] });
  });

  it('drops and restores a block', async () => {
    const { s, controller } = await setup();
    controller.toggleBlock(4);
    expect(s().drops.current).toEqual({ attn: [4], mlp: [4] });
    controller.toggleBlock(4);
    expect(s().drops.current).toEqual({ attn: [], mlp: [] });
  });

  it('ignores out-of-range toggles', async () => {
    const { s, controller } = await setup();
    controller.toggle('attn', 12);
    controller.toggle('mlp', -1);
    expect(s().drops.current).toEqual({ attn: [], mlp: [] });
    expect(s().drops.past).toEqual([]);
  });

  it('applies a quick plan', async () => {
    const { s, controller, engine } = await setup();
    expect(await controller.plan({ target: 'attn', n: 4, iterative: false, norm: true })).toBe(true);
    await controller.idle();
    expect(s().drops.current.attn).toHaveLength(4);
    expect(s().drops.current.mlp).toEqual([]);
    expect(s().drops.current.attn).not.toContain(0); // layer 0 matters most
    expect(currentEval(s())?.meanNll).toBeCloseTo(engine.nll(s().drops.current), 10);
    controller.undo();
    expect(s().drops.current).toEqual({ attn: [], mlp: [] });
    expect(await controller.plan({ target: 'attn', n: 99, iterative: false })).toBe(false);
  });
});

describe('controller: text and windows', () => {
  it('changes windows and text, resetting results', async () => {
    const { s, controller } = await setup();
    await controller.setWindowSettings(32, 3);
    await controller.idle();
    expect(s().data.info).toMatchObject({ seqLen: 32, windows: 3, predictedTokens: 93 });
    expect(currentEval(s())?.seqLen).toBe(32);
    await controller.setText({ kind: 'paste', text: 'hello world '.repeat(50) });
    await controller.idle();
    expect(s().data.text.kind).toBe('paste');
    expect(currentEval(s())?.tokens).toBe(s().data.info!.predictedTokens);
  });
  it('refuses a window longer than the model supports, keeping the old settings', async () => {
    const { s, controller } = await setup();
    await controller.setWindowSettings(4096, 1);
    expect(s().data.seqLen).toBe(256);
    expect(s().data.error?.message).toMatch(/512/);
  });
  it('reports a text too short for one window', async () => {
    const { s, controller } = await setup();
    await controller.setText({ kind: 'paste', text: 'too short' });
    await controller.idle();
    expect(s().data.status).toBe('error');
    expect(s().data.error?.code).toBe('TEXT_TOO_SHORT');
  });
});

describe('controller: links', () => {
  it('opens a link exactly: model, drops, text, windows, metric', async () => {
    const h = link({
      drops: { attn: [2, 9], mlp: [5] },
      text: { kind: 'bundled', id: 'sotu-heldout' },
      seqLen: 32,
      windows: 5,
      metric: 'dnll',
    });
    const { s, engine } = await setup({ hash: h });
    expect(s().drops.current).toEqual({ attn: [2, 9], mlp: [5] });
    expect(s().data.text).toEqual({ kind: 'bundled', id: 'sotu-heldout' });
    expect(s().data.info).toMatchObject({ seqLen: 32, windows: 5 });
    expect(s().ui.metric).toBe('dnll');
    expect(currentEval(s())?.meanNll).toBeCloseTo(engine.nll({ attn: [2, 9], mlp: [5] }), 10);
    expect(s().drops.past).toEqual([]);
    expect(s().ui.notice).toBeNull();
  });

  it('refuses a damaged link, applies nothing of it, and still opens the default experiment', async () => {
    const { s, hash, controller } = await setup({
      hash: 'v1&m=b:droplab-byte-12l&da=3,3&t=b:moby-dick-heldout&L=64&n=4',
    });
    expect(s().ui.notice?.kind).toBe('error');
    expect(s().ui.notice?.message).toMatch(/ascending.*Nothing from it was applied/);
    expect(s().drops.current).toEqual({ attn: [], mlp: [] });
    expect(s().data.seqLen).toBe(256);
    expect(s().model.status).toBe('ready');
    controller.toggle('attn', 3);
    expect(s().drops.current).toEqual({ attn: [3], mlp: [] });
    controller.writeNow();
    expect(decodeExperiment(hash.value).drops).toEqual({ attn: [3], mlp: [] });
  });

  it('refuses a link whose layers do not exist in its model, before loading weights', async () => {
    const { s, engine } = await setup({
      hash: link({ model: { kind: 'hub', id: 'someone/tiny' }, drops: { attn: [40], mlp: [] } }),
    });
    expect(s().ui.notice?.message).toMatch(/attention layer 40.*only 12 layers/);
    expect(engine.calls.filter((c) => c.method === 'loadModel').map((c) => (c.arg as { kind: string }).kind)).toEqual([
      'bundled',
    ]);
    expect(s().model.info?.source.kind).toBe('bundled');
  });

  it('refuses a link with an unknown bundled text', async () => {
    const { s } = await setup({ hash: link({ text: { kind: 'bundled', id: 'no-such-text' } }) });
    expect(s().ui.notice?.message).toMatch(/no-such-text/);
    expect(s().data.text).toEqual({ kind: 'bundled', id: 'moby-dick-heldout' });
  });

  it('refuses a link from a future version', async () => {
    const { s } = await setup({ hash: 'v7&m=b:droplab-byte-12l' });
    expect(s().ui.notice?.message).toMatch(/newer DropLab/);
    expect(s().model.status).toBe('ready');
  });

  it('shows a refused Hub model and falls back to the bundled one', async () => {
    const { s } = await setup({
      hash: link({ model: { kind: 'hub', id: 'private/model' } }),
      fake: { missing: ['private/model'] },
    });
    expect(s().ui.notice?.message).toMatch(/private\/model.*not found/);
    expect(s().model.info?.source.kind).toBe('bundled');
  });

  it('follows a pasted link (hashchange) and ignores its own writes', async () => {
    const { s, hash, controller } = await setup();
    controller.writeNow();
    const writes = hash.writes;
    hash.fire(hash.value); // its own hash: nothing happens
    expect(hash.writes).toBe(writes);
    hash.fire(link({ drops: { attn: [1], mlp: [] }, seqLen: 32 }));
    await new Promise((r) => setTimeout(r, 0));
    await controller.idle();
    expect(s().drops.current).toEqual({ attn: [1], mlp: [] });
    expect(s().data.seqLen).toBe(32);
    hash.fire('#v1&garbage');
    expect(s().ui.notice?.kind).toBe('error');
    expect(s().drops.current).toEqual({ attn: [1], mlp: [] });
  });

  it('opens a link pasted while the start-up experiment is still loading, after it', async () => {
    const store = createWorkbenchStore();
    const engine = createFakeEngine({ delayMs: 30 });
    const hash = memoryHash('');
    const controller = new WorkbenchController({
      store,
      engine,
      init: { backend: 'auto', hubEndpoint: 'https://huggingface.co', baseUrl: 'http://x/' },
      fetchText: async (p) => TEXTS[p],
      hash,
      saved: null,
      writeDelayMs: 0,
    });
    const started = controller.start();
    await new Promise((r) => setTimeout(r, 5));
    hash.fire(link({ drops: { attn: [2], mlp: [] } }));
    await started;
    await controller.idle();
    expect(store.getState().drops.current).toEqual({ attn: [2], mlp: [] });
    expect(store.getState().data.seqLen).toBe(64);
  });

  it('round-trips: the hash written after work reopens the same experiment and perplexity', async () => {
    const first = await setup();
    await first.controller.setWindowSettings(48, 6);
    first.controller.toggle('attn', 6);
    first.controller.toggle('mlp', 10);
    first.s().setMetric('block');
    await first.controller.idle();
    first.controller.writeNow();
    const ppl = currentEval(first.s())!.perplexity;
    const second = await setup({ hash: first.hash.value });
    expect(second.s().drops.current).toEqual(first.s().drops.current);
    expect(second.s().ui.metric).toBe('block');
    expect(currentEval(second.s())!.perplexity).toBe(ppl);
  });

  it('asks for the folder of a local-model link and applies it once that folder is loaded', async () => {
    const { s, controller } = await setup({
      hash: link({ model: { kind: 'local', name: 'my-model' }, drops: { attn: [3], mlp: [] } }),
    });
    expect(s().ui.notice?.title).toMatch(/Pick the model folder/);
    expect(s().model.info).toBeNull();
    await controller.loadModel({ kind: 'local', name: 'my-model', files: [] });
    await controller.idle();
    expect(s().drops.current).toEqual({ attn: [3], mlp: [] });
    expect(s().ui.notice).toBeNull();
  });
});

describe('controller: models', () => {
  it('loads a Hub model with progress and resets the drops', async () => {
    const { s, controller, engine } = await setup();
    controller.toggle('attn', 2);
    const ok = await controller.loadModel({ kind: 'hub', id: 'HuggingFaceTB/SmolLM2-135M' });
    expect(ok).toBe(true);
    await controller.idle();
    expect(s().model.info?.source).toEqual({ kind: 'hub', id: 'HuggingFaceTB/SmolLM2-135M' });
    expect(s().model.estimate?.parameters).toBe(2_400_000);
    expect(s().drops.current).toEqual({ attn: [], mlp: [] });
    expect(engine.count('inspect')).toBeGreaterThan(1);
  });

  it('refuses a model too large before downloading it', async () => {
    const { s, controller, engine } = await setup({ fake: { tooLarge: ['big/model'] } });
    const loads = engine.count('loadModel');
    expect(await controller.loadModel({ kind: 'hub', id: 'big/model' })).toBe(false);
    expect(engine.count('loadModel')).toBe(loads);
    expect(s().model.error?.code).toBe('MODEL_TOO_LARGE');
    expect(s().model.error?.message).toMatch(/too large|more than this device/);
  });

  it('shows an unsupported family', async () => {
    const { s, controller } = await setup({ fake: { unsupported: ['google-bert/bert-base-uncased'] } });
    expect(await controller.loadModel({ kind: 'hub', id: 'google-bert/bert-base-uncased' })).toBe(false);
    expect(s().model.error?.code).toBe('UNSUPPORTED_ARCHITECTURE');
  });
});

describe('controller: saved experiments and autosave', () => {
  it('saves, lists and reopens an experiment', async () => {
    const factory = new IDBFactory();
    const { s, controller } = await setup({ factory });
    controller.toggle('mlp', 3);
    await controller.idle();
    expect(await controller.save('  my run ')).toBe(true);
    expect(s().saved.list).toHaveLength(1);
    expect(s().saved.list[0].name).toBe('my run');
    expect(s().saved.list[0].summary).toMatch(/MLP 3.*ppl/);
    controller.toggle('mlp', 3);
    expect(s().drops.current).toEqual({ attn: [], mlp: [] });
    expect(await controller.openSaved(s().saved.list[0].id)).toBe(true);
    await controller.idle();
    expect(s().drops.current).toEqual({ attn: [], mlp: [3] });
    await controller.deleteSaved(s().saved.list[0].id);
    expect(s().saved.list).toEqual([]);
  });

  it('restores the autosaved experiment after a reload without a hash', async () => {
    const factory = new IDBFactory();
    const first = await setup({ factory });
    first.controller.toggle('attn', 8);
    await first.controller.idle();
    first.controller.writeNow();
    await new Promise((r) => setTimeout(r, 20));
    first.controller.stop();
    const second = await setup({ factory });
    expect(second.s().drops.current).toEqual({ attn: [8], mlp: [] });
  });

  it('works without IndexedDB', async () => {
    const { s, controller } = await setup({ saved: false });
    expect(s().model.status).toBe('ready');
    expect(await controller.save('x')).toBe(false);
  });
});

describe('controller: a lost GPU device', () => {
  it('says so once with the way back (reload), stops the work in flight, and keeps the experiment', async () => {
    const { s, engine, hash, controller } = await setup();
    controller.toggle('attn', 5);
    await controller.idle();
    controller.writeNow();
    const before = hash.value;
    const message = 'The GPU device was lost (destroyed). Reload the page…';
    expect(engine.onDeviceLost).toBeTypeOf('function');
    s().setResultsError({ code: 'RUNTIME', name: 'RuntimeError', message: 'failed to call OrtRun(): mapAsync …' });
    engine.onDeviceLost?.(message);
    expect(s().backend).toEqual({ state: 'error', error: { code: 'DEVICE_LOST', name: 'DeviceLostError', message } });
    expect(s().ui.notice).toEqual({ kind: 'error', title: 'The GPU device was lost', message, action: 'reload' });
    expect(s().drops.current).toEqual({ attn: [5], mlp: [] });
    expect(s().results.error).toBeNull();
    controller.writeNow();
    expect(hash.value).toBe(before);
    // A second report (a call failing with DeviceLostError too) does not repeat the notice.
    s().setNotice(null);
    controller.deviceLost(message);
    expect(s().ui.notice).toBeNull();
  });

  it('a call failing with DeviceLostError raises the same notice', async () => {
    const { s, engine, controller } = await setup();
    const lost = new DeviceLostError('The GPU device was lost (unknown: GPU process crashed).');
    engine.analyze = async () => {
      throw lost;
    };
    controller.toggle('mlp', 3);
    await controller.idle();
    expect(s().ui.notice).toMatchObject({ title: 'The GPU device was lost', message: lost.message, action: 'reload' });
    expect(s().backend.state).toBe('error');
    expect(s().drops.current).toEqual({ attn: [], mlp: [3] });
  });
});

describe('controller: the URL follows the experiment, whatever runs in the background', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Store changes that are not the experiment (progress events), every `ms`, as background work makes them. */
  const pumpProgress = (s: () => ReturnType<ReturnType<typeof createWorkbenchStore>['getState']>, ms: number) => {
    const timer = setInterval(() => {
      const task = s().results.task;
      s().setTask(task ? { ...task } : null);
    }, ms);
    return () => clearInterval(timer);
  };

  it('a click reaches the hash at once, a burst within the throttle, while progress keeps changing the store', async () => {
    const { s, hash, controller, saved } = await setup({ writeDelayMs: 80, fake: { delayMs: 1000 } });
    const writesBefore = hash.writes;
    const stop = pumpProgress(s, 20); // 4 store changes per throttle period, as the curves made
    try {
      await sleep(200);
      controller.toggle('mlp', 9); // starts 1 s of analysis with progress
      // After a quiet period the change is written at once: a reload or a copy right after the click keeps it.
      expect(decodeExperiment(hash.value).drops).toEqual({ attn: [], mlp: [9] });
      controller.toggle('attn', 4); // within the throttle period: written at its end, not at once
      expect(decodeExperiment(hash.value).drops).toEqual({ attn: [], mlp: [9] });
      await sleep(400);
      // Before the fix a debounce restarted on every store change: the hash stayed on the previous experiment.
      expect(decodeExperiment(hash.value).drops).toEqual({ attn: [4], mlp: [9] });
      expect(hash.writes).toBe(writesBefore + 2); // once per experiment, not once per progress event
      expect(decodeExperiment((await saved!.getAutosave())!).drops).toEqual({ attn: [4], mlp: [9] });
    } finally {
      stop();
    }
    await controller.idle();
    expect(decodeExperiment(hash.value).drops).toEqual({ attn: [4], mlp: [9] });
  });
});
