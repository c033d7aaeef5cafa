/**
 * The controller's side of links and notices (issue 9 items 8-11, issue 10 item 2): a refused link gives
 * the address bar back to the experiment on screen, odd local folder names stay shareable, a dead engine
 * worker raises the lost-device notice, classroom mode travels in the link.
 */
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { openSavedExperiments } from '../../src/state/saved';
import { decodeExperiment } from '../../src/state/share-link';
import { link, setup } from './setup';

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
    expect(s().backend).toEqual({
      state: 'error',
      error: { code: 'ENGINE_STOPPED', name: 'EngineStoppedError', message },
    });
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
    expect(await saved?.getAutosave()).toBe(hash.value);
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

describe('a Hub link says what it will download before any weight is downloaded (issue 9 item 12)', () => {
  const until = async (f: () => boolean) => {
    for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(f()).toBe(true);
  };
  const hubLink = link({ model: { kind: 'hub', id: 'someone/tiny' }, drops: { attn: [2], mlp: [] } });

  it('reads the config, says the size, and downloads only after "Download and open"', async () => {
    const { s, engine, controller, started, hash } = await setup({ hash: hubLink, noWait: true });
    await until(() => s().ui.notice?.action === 'download');
    expect(s().ui.notice).toEqual({
      kind: 'info',
      title: 'This link downloads a model from the Hugging Face Hub',
      message:
        'It opens someone/tiny: 9.2 MB of weights (2,400,000 parameters) to download from huggingface.co. Only its configuration has been read so far; nothing more is downloaded until you say so.',
      action: 'download',
    });
    expect(engine.calls.map((c) => c.method)).toEqual(['init', 'inspect']);
    controller.confirmDownload(true);
    await started;
    await controller.idle();
    expect(s().model.info?.source).toEqual({ kind: 'hub', id: 'someone/tiny' });
    expect(s().drops.current).toEqual({ attn: [2], mlp: [] });
    expect(s().ui.notice).toBeNull();
    controller.writeNow();
    expect(hash.value).toBe(hubLink);
  });

  it('"Not now" downloads nothing, opens the default experiment on a first visit, and the URL shows it', async () => {
    const { s, engine, controller, started, hash } = await setup({ hash: hubLink, noWait: true });
    await until(() => s().ui.notice?.action === 'download');
    controller.confirmDownload(false);
    await started;
    await controller.idle();
    expect(engine.calls.filter((c) => c.method === 'loadModel').map((c) => (c.arg as { kind: string }).kind)).toEqual([
      'bundled',
    ]);
    expect(s().model.info?.source).toEqual({ kind: 'bundled', name: 'droplab-byte-12l' });
    expect(s().ui.notice).toBeNull();
    await tick();
    controller.writeNow();
    expect(decodeExperiment(hash.value).model).toEqual({ kind: 'bundled', name: 'droplab-byte-12l' });
  });

  it('a pasted Hub link asks too, and "Not now" leaves the workbench and the address bar as they were', async () => {
    const { s, engine, controller, hash } = await setup();
    controller.toggle('mlp', 1);
    await controller.idle();
    controller.writeNow();
    const shown = hash.value;
    hash.fire(`#${hubLink}`);
    await until(() => s().ui.notice?.action === 'download');
    controller.confirmDownload(false);
    await controller.idle();
    await tick();
    expect(hash.value).toBe(shown);
    expect(s().model.status).toBe('ready');
    expect(s().model.source).toEqual({ kind: 'bundled', name: 'droplab-byte-12l' });
    expect(s().drops.current).toEqual({ attn: [], mlp: [1] });
    expect(engine.calls.filter((c) => c.method === 'loadModel')).toHaveLength(1);
  });
});

describe('classroom mode in the link (issue 10 item 2)', () => {
  it('turning classroom on puts c=1 in the hash (v2); off takes it out (v1 again)', async () => {
    const { s, hash, controller } = await setup();
    s().setClassroom(true);
    controller.writeNow();
    expect(hash.value).toMatch(/^v2&m=b:droplab-byte-12l&.*&c=1$/);
    expect(decodeExperiment(hash.value).classroom).toBe(true);
    s().setClassroom(false);
    controller.writeNow();
    expect(hash.value).toMatch(/^v1&m=b:droplab-byte-12l&/);
    expect(hash.value).not.toContain('c=1');
  });

  it('a classroom link opens in classroom mode; a link without it leaves the mode as it was', async () => {
    const on = await setup({ hash: link({ drops: { attn: [5], mlp: [] }, classroom: true }) });
    expect(on.s().classroom.on).toBe(true);
    expect(on.s().drops.current).toEqual({ attn: [5], mlp: [] });
    on.hash.fire(`#${link({ drops: { attn: [6], mlp: [] } })}`);
    await tick();
    await on.controller.idle();
    expect(on.s().drops.current).toEqual({ attn: [6], mlp: [] });
    expect(on.s().classroom.on).toBe(true);
  });
});

describe('saved experiments across two tabs (issue 9 item 11)', () => {
  const until = async (f: () => boolean) => {
    for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 5));
    return f();
  };

  it('a save or a delete in one tab shows in the other without a reload', async () => {
    const factory = new IDBFactory(); // one browser profile, two tabs
    const a = await setup({ factory });
    const b = await setup({ factory });
    expect(b.s().saved.list).toEqual([]);
    a.controller.toggle('attn', 2);
    await a.controller.idle();
    expect(await a.controller.save('from tab A')).toBe(true);
    expect(await until(() => b.s().saved.list.length === 1)).toBe(true);
    expect(b.s().saved.list[0].name).toBe('from tab A');
    expect(decodeExperiment(b.s().saved.list[0].hash).drops).toEqual({ attn: [2], mlp: [] });
    await b.controller.deleteSaved(b.s().saved.list[0].id);
    expect(await until(() => a.s().saved.list.length === 0)).toBe(true);
    a.controller.stop();
    b.controller.stop();
    a.saved?.close();
    b.saved?.close();
  });
});

describe('a local-folder experiment on a fresh visit (issue 9 item 11)', () => {
  it('autosaved: the default opens, the page says which folder brings the last experiment back, and picking it does', async () => {
    const factory = new IDBFactory();
    const db = await openSavedExperiments(factory);
    await db.setAutosave(link({ model: { kind: 'local', name: 'my-model' }, drops: { attn: [], mlp: [3] } }));
    db.close();
    const { s, controller } = await setup({ factory });
    expect(s().model.info?.source).toEqual({ kind: 'bundled', name: 'droplab-byte-12l' });
    expect(s().ui.notice?.title).toBe('Pick the model folder');
    expect(s().ui.notice?.message).toMatch(/^Your last experiment used the local model folder "my-model"\./);
    await controller.loadModel({ kind: 'local', name: 'my-model', files: [] });
    await controller.idle();
    expect(s().drops.current).toEqual({ attn: [], mlp: [3] });
    expect(s().ui.notice).toBeNull();
  });
});
