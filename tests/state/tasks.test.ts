/**
 * The Tasks panel's state (issue 14): the slice, the TaskRunner on the fake engine (baseline and current
 * drops through the engine queue, superseded by a toggle, cached per drop configuration), the task in
 * links and saved experiments, and the accuracy of the curves' points.
 */
import { describe, expect, it } from 'vitest';
import { parseTaskJsonl, type TaskResult } from '../../src/engine/api';
import { experimentOf, hashOf } from '../../src/state/current-experiment';
import { accuracySeries, missingAccuracy } from '../../src/state/curves-accuracy';
import { assembleCurves } from '../../src/state/curves';
import { dropKey, NO_DROPS } from '../../src/state/drops';
import { labFor } from '../../src/state/lab-controller';
import { decodeExperiment, encodeExperiment } from '../../src/state/share-link';
import { MAX_LINK_TASK_BYTES } from '../../src/state/task-link';
import { tasksFor } from '../../src/state/task-runner';
import { accuracyChange, choiceKey, resultKey, selectionLabel, type TaskChoice } from '../../src/state/tasks';
import { fakeTaskResult } from '../app/fake-engine';
import { link, setup, TEXTS } from './setup';

const offline = (limit: number | null = 20, seed: number | null = null): TaskChoice => ({
  source: { kind: 'offline' },
  limit,
  seed,
});
const OFFLINE_ITEMS = parseTaskJsonl(TEXTS['tasks/word-completion.jsonl'], 'word-completion');

async function workbench(delayMs = 0) {
  const w = await setup({ fake: { delayMs } });
  return { ...w, tasks: tasksFor(w.store, w.controller) };
}

const result = (
  s: ReturnType<Awaited<ReturnType<typeof setup>>['s']>,
  c: TaskChoice,
  attn: number[] = [],
  mlp: number[] = [],
) => s.tasks.results[resultKey(c, { attn, mlp })] as TaskResult | undefined;

describe('scoring the chosen task', () => {
  it('scores the baseline and the current drops once each; values are the engine results', async () => {
    const { s, engine, controller, tasks } = await workbench();
    controller.setDrops({ attn: [1, 2], mlp: [4] });
    await controller.idle();
    await tasks.choose(offline());
    expect(engine.count('scoreTask')).toBe(2);
    const base = result(s(), offline())!;
    const cur = result(s(), offline(), [1, 2], [4])!;
    // The same numbers the engine gives for these items, selection and drops.
    const damage = engine.nll({ attn: [1, 2], mlp: [4] }) - engine.nll(NO_DROPS);
    expect(cur.acc).toBe(fakeTaskResult(OFFLINE_ITEMS, { attn: [1, 2], mlp: [4] }, { limit: 20 }, damage).acc);
    expect(base.acc).toBe(fakeTaskResult(OFFLINE_ITEMS, NO_DROPS, { limit: 20 }, 0).acc);
    expect(base.n).toBe(20);
    expect(selectionLabel(base)).toBe('first 20 of 40 items');
    expect(base.items[0].item?.context).toBe('Item 0: the whale'); // the item view's text
    expect(cur.acc).toBeLessThan(base.acc); // the fake's drops cost accuracy
    expect(s().tasks.job.state).toBe('idle');
    // The change and its standard error (independent means).
    const d = accuracyChange(base, cur, false)!;
    expect(d.delta).toBeCloseTo(cur.acc - base.acc, 12);
    expect(d.stderr).toBeCloseTo(Math.sqrt(base.accStderr ** 2 + cur.accStderr ** 2), 12);
  });

  it('a toggle scores the new configuration only; a toggle back costs nothing', async () => {
    const { s, engine, controller, tasks } = await workbench();
    await tasks.choose(offline());
    expect(engine.count('scoreTask')).toBe(1); // no drops: baseline and current are one configuration
    controller.toggle('attn', 3);
    await controller.idle();
    await tasks.request();
    expect(engine.count('scoreTask')).toBe(2);
    expect(result(s(), offline(), [3])).toBeDefined();
    controller.toggle('attn', 3);
    await controller.idle();
    await tasks.request();
    expect(engine.count('scoreTask')).toBe(2);
  });

  it('a toggle during the scoring supersedes it: the old configuration is cancelled, the new one scored', async () => {
    const { s, engine, controller, tasks } = await workbench(60);
    controller.setDrops({ attn: [5], mlp: [] });
    await controller.idle();
    await tasks.choose(offline()); // baseline known now
    controller.setDrops({ attn: [6], mlp: [] });
    await controller.idle();
    const run = tasks.request();
    await new Promise((r) => setTimeout(r, 30)); // the [6] scoring is in flight
    expect(s().tasks.job).toMatchObject({ state: 'running', which: 'current' });
    controller.setDrops({ attn: [7], mlp: [] });
    await run;
    await controller.idle();
    await tasks.request();
    expect(result(s(), offline(), [6])).toBeUndefined();
    expect(result(s(), offline(), [7])).toBeDefined();
    expect(engine.calls.filter((c) => c.method === 'scoreTask').map((c) => dropKey(c.arg as never))).toEqual([
      dropKey(NO_DROPS),
      dropKey({ attn: [5], mlp: [] }),
      dropKey({ attn: [6], mlp: [] }),
      dropKey({ attn: [7], mlp: [] }),
    ]);
  });

  it('a seeded subsample and the first N are different selections, each stated', async () => {
    const { s, tasks } = await workbench();
    await tasks.choose(offline(10, 7));
    const r = result(s(), offline(10, 7))!;
    expect(r.selection).toEqual({ mode: 'sample', total: 40, n: 10, seed: 7 });
    expect(selectionLabel(r)).toBe('10 of 40 items, seeded subsample (seed 7)');
    expect(choiceKey(offline(10, 7))).not.toBe(choiceKey(offline(10)));
    expect(r.items.map((x) => x.index)).not.toEqual([...Array(10).keys()]);
  });

  it('a JSONL file with a bad line is refused naming the line, and the task chosen stays', async () => {
    const { s, engine, tasks } = await workbench();
    await tasks.choose(offline());
    await tasks.chooseJsonl(
      'mine.jsonl',
      '{"context": "a", "choices": ["b", "c"], "gold": 1}\n{"context": "x", "choices": [], "gold": 0}\n',
      null,
      null,
    );
    expect(s().tasks.job.state).toBe('error');
    expect(s().tasks.job.error).toMatch(/line 2/);
    expect(s().tasks.choice).toEqual(offline());
    expect(engine.count('scoreTask')).toBe(1);
    await tasks.chooseJsonl('mine.jsonl', '{"context": "a", "choices": ["b", "c"], "gold": 1}\n', null, null);
    expect(s().tasks.job.state).toBe('idle');
    expect(s().tasks.choice?.source).toMatchObject({ kind: 'jsonl', name: 'mine.jsonl' });
    expect(Object.values(s().tasks.results).some((r) => r.task === 'mine.jsonl' && r.n === 1)).toBe(true);
  });

  it('a built-in task that cannot be reached says so once (no retry loop)', async () => {
    const { s, engine, tasks } = await workbench();
    await tasks.choose({ source: { kind: 'builtin', name: 'arc_easy' }, limit: 50, seed: null });
    expect(s().tasks.job.state).toBe('error');
    expect(s().tasks.job.error).toMatch(/arc_easy/);
    await tasks.request();
    expect(engine.count('scoreTask')).toBe(1);
  });

  it('a new model load starts the results afresh', async () => {
    const { s, controller, tasks } = await workbench();
    await tasks.choose(offline());
    expect(Object.keys(s().tasks.results)).toHaveLength(1);
    await controller.loadModel({ kind: 'hub', id: 'someone/other' });
    await controller.idle();
    await tasks.request();
    expect(s().tasks.context).toBe(`g${s().model.generation}`);
    expect(Object.keys(s().tasks.results)).toHaveLength(1);
  });
});

describe('the task in links and saved experiments', () => {
  it('the link carries the task and its selection; opening it chooses that task', async () => {
    const { s, hash, tasks } = await workbench();
    await tasks.choose(offline(30, 4));
    const h = hashOf(s())!;
    expect(h).toMatch(/^v3&/);
    expect(h).toMatch(/&k=o&kl=30&ks=4(&|$)/);
    expect(decodeExperiment(h).task).toEqual(offline(30, 4));

    const other = await workbench();
    other.hash.fire(`#${h}`);
    await other.controller.idle();
    expect(other.s().tasks.choice).toEqual(offline(30, 4));
    expect(hash.value).toBe(h);
  });

  it('a saved experiment keeps the task: saved with one, opened after another choice, it comes back', async () => {
    const { s, controller, tasks } = await workbench();
    await tasks.choose({ source: { kind: 'builtin', name: 'piqa' }, limit: 50, seed: 9 });
    expect(await controller.save('piqa sample')).toBe(true);
    await tasks.choose(offline());
    const id = s().saved.list.find((x) => x.name === 'piqa sample')!.id;
    expect(await controller.openSaved(id)).toBe(true);
    await controller.idle();
    expect(s().tasks.choice).toEqual({ source: { kind: 'builtin', name: 'piqa' }, limit: 50, seed: 9 });
  });

  it('a link without a task leaves none; a small JSONL task travels inside, a large one is left out', async () => {
    const { s, hash, controller, tasks } = await workbench();
    await tasks.chooseJsonl('three.jsonl', '{"context": "1 2", "choices": [" 3", " 4"], "gold": 0}\n', 5, null);
    const e = experimentOf(s())!;
    expect(e.task?.source).toEqual({
      kind: 'jsonl',
      name: 'three.jsonl',
      text: '{"context": "1 2", "choices": [" 3", " 4"], "gold": 0}\n',
    });
    expect(decodeExperiment(encodeExperiment(e)).task).toEqual(e.task);

    const line = JSON.stringify({ context: 'x'.repeat(100), choices: ['a', 'b'], gold: 0 });
    const big = `${Array.from({ length: Math.ceil(MAX_LINK_TASK_BYTES / line.length) + 1 }, () => line).join('\n')}\n`;
    await tasks.chooseJsonl('big.jsonl', big, 3, null);
    expect(s().tasks.choice?.source.kind).toBe('jsonl');
    expect(experimentOf(s())!.task).toBeUndefined();

    hash.fire(`#${link({})}`);
    await controller.idle();
    expect(s().tasks.choice).toBeNull();
  });

  it('hostile task fields are refused with a message, never half-applied', () => {
    const base = link({});
    const bad = [
      `${base}&k=b:nope`,
      `${base}&k=o&kl=0`,
      `${base}&k=o&ks=3`,
      `${base}&kl=5`,
      `${base}&k=j:AAAA`,
      `${base}&k=o&kn=x.jsonl`,
      `${base}&k=z`,
      `${base.replace(/^v1/, 'v2')}&k=o`,
    ];
    for (const h of bad) expect(() => decodeExperiment(h.replace(/^v1/, 'v3')), h).toThrow(/link/i);
    expect(() => decodeExperiment(`${base}&k=o`)).toThrow(/needs link format v3/);
  });
});

describe('accuracy of the curves', () => {
  it('pure: missing configurations once each, baseline first; series follow the perplexity points', () => {
    const rankings = {
      attn: [
        { kind: 'attn' as const, layer: 5 },
        { kind: 'attn' as const, layer: 2 },
      ],
      joint: [
        { kind: 'attn' as const, layer: 5 },
        { kind: 'mlp' as const, layer: 9 },
      ],
    };
    const c = offline();
    const miss = missingAccuracy(rankings, {}, c, 12, 2);
    expect(miss.map((m) => dropKey(m.drop))).toEqual([
      dropKey(NO_DROPS),
      dropKey({ attn: [5], mlp: [] }),
      dropKey({ attn: [2, 5], mlp: [] }),
      dropKey({ attn: [5], mlp: [9] }),
    ]);
    const results = { [resultKey(c, NO_DROPS)]: fakeTaskResult(OFFLINE_ITEMS, NO_DROPS, { limit: 20 }, 0) };
    expect(missingAccuracy(rankings, results, c, 12, 2)).toHaveLength(3);
  });

  it('with a task chosen, computing the curves scores every point; the series carry those results', async () => {
    const { s, store, engine, controller, tasks } = await workbench();
    const c = offline(12);
    await tasks.choose(c);
    const lab = labFor(store, controller);
    await lab.computeCurves(4);
    expect(s().curves.job.state).toBe('done');
    const st = s();
    const L = st.model.info!.spec.numLayers;
    const series = assembleCurves(st.curves.rankings, st.results.evals, L, 4);
    const acc = accuracySeries(series, st.tasks.results, c);
    const configs = new Set(series.flatMap((x) => x.points.map((p) => dropKey(p.drop))));
    // One scoring per distinct configuration of the curves, none twice (the baseline was scored by the panel).
    expect(engine.count('scoreTask')).toBe(configs.size);
    for (const [i, a] of acc.entries()) {
      expect(a.points.length).toBe(series[i].points.length);
      for (const p of a.points) {
        const damage = engine.nll(p.drop) - engine.nll(NO_DROPS);
        expect(p.acc).toBe(fakeTaskResult(OFFLINE_ITEMS, p.drop, { limit: 12 }, damage).acc);
      }
    }
    // Computing again needs nothing.
    await lab.computeCurves(4);
    expect(engine.count('scoreTask')).toBe(configs.size);
  });

  it('without a task the curves stay perplexity only', async () => {
    const { store, engine, controller } = await workbench();
    await labFor(store, controller).computeCurves(2);
    expect(engine.count('scoreTask')).toBe(0);
  });
});
