/**
 * Task inputs and statistics (issue 14): JSONL lines that are not items are refused naming the line;
 * item selection (first N, seeded subsample) is deterministic; lm-eval's standard errors; sequence
 * sharing (identical and prefix sequences run once); partial (WinoGrande-style) and LAMBADA scoring
 * against the float64 reference (logliks, greedy from the reference's argmax, perplexity); the CLI's
 * --json shape and its refusal of a bad line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TaskItems } from '../../../src/engine/api';
import type { Engine } from '../../../src/engine/engine';
import { TaskError } from '../../../src/engine/errors';
import { parseTaskJsonl } from '../../../src/engine/tasks/jsonl';
import { shareSequences, type TaskRequest } from '../../../src/engine/tasks/requests';
import { selectItems } from '../../../src/engine/tasks/select';
import { bootstrapStderr, meanStderr, perplexity } from '../../../src/engine/tasks/stats';
import { parseOne, runCli } from '../../cli/run-cli';
import { makeEngine, maxRelDiff } from '../setup';
import { loadTinyModel, tinyModel } from '../../fixtures/tiny-models';
import { writeTinyModel } from '../../fixtures/tiny-models-node';
import { forward64, referenceFor } from '../../reference/forward64';

const bad = (text: string) => {
  try {
    parseTaskJsonl(text, 'mine.jsonl');
  } catch (e) {
    expect(e).toBeInstanceOf(TaskError);
    return (e as Error).message;
  }
  throw new Error('accepted');
};

describe('JSONL tasks', () => {
  it('parses items, skipping blank lines; choices appended as given', () => {
    const t = parseTaskJsonl(
      '{"context":"a","choices":[" b"," c"],"gold":1}\n\n{"context":"","choices":["x"],"gold":0}\n',
      'm',
    );
    expect(t).toEqual({
      name: 'm',
      kind: 'choice',
      delimiter: '',
      source: 'm',
      items: [
        { context: 'a', choices: [' b', ' c'], gold: 1 },
        { context: '', choices: ['x'], gold: 0 },
      ],
    });
  });

  it('names the line and what is wrong', () => {
    const ok = '{"context":"a","choices":["b"],"gold":0}';
    expect(bad(`${ok}\n{"context": "a", "choices": ["b"], "gold": 0`)).toMatch(/mine\.jsonl, line 2 is not valid JSON/);
    expect(bad(`${ok}\n\n{"context":"a","gold":0}`)).toMatch(/line 3: "choices" is missing/);
    expect(bad(`{"context":"a","choices":[],"gold":0}`)).toMatch(
      /line 1: "choices" is missing or not a non-empty list/,
    );
    expect(bad(`${ok}\n{"context":"a","choices":["b","c"],"gold":2}`)).toMatch(
      /line 2: "gold" is 2; it must be a choice index from 0 to 1/,
    );
    expect(bad(`{"context":"a","choices":["b"],"gold":"0"}`)).toMatch(/line 1: "gold" is "0"/);
    expect(bad(`{"context":3,"choices":["b"],"gold":0}`)).toMatch(/line 1: "context" is missing or not a string/);
    expect(bad(`{"context":"a","choices":["b", 4],"gold":0}`)).toMatch(/line 1: choice 1 is not a string/);
    expect(bad('[1,2]')).toMatch(/line 1 is not an item/);
    expect(bad('\n\n')).toMatch(/holds no items/);
  });
});

describe('selection and statistics', () => {
  it('all, first N, a seeded subsample (same seed, same items; in dataset order)', () => {
    expect(selectItems(5).selection).toEqual({ mode: 'all', total: 5, n: 5 });
    expect(selectItems(5, { limit: 3 })).toEqual({ indices: [0, 1, 2], selection: { mode: 'first', total: 5, n: 3 } });
    const a = selectItems(1000, { limit: 50, seed: 9 });
    expect(a).toEqual(selectItems(1000, { limit: 50, seed: 9 }));
    expect(a.indices).not.toEqual(selectItems(1000, { limit: 50, seed: 10 }).indices);
    expect(new Set(a.indices).size).toBe(50);
    expect([...a.indices].sort((x, y) => x - y)).toEqual(a.indices);
    expect(a.indices).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => selectItems(5, { limit: 0 })).toThrow(TaskError);
    expect(() => selectItems(5, { limit: 2, seed: -1 })).toThrow(TaskError);
  });

  it("lm-eval's mean_stderr, perplexity and a seeded bootstrap", () => {
    const xs = [1, 0, 1, 1, 0, 1, 1, 1];
    const p = 6 / 8;
    expect(meanStderr(xs)).toBeCloseTo(Math.sqrt((p * (1 - p)) / 7), 14);
    expect(meanStderr([0.5, 1.5])).toBeCloseTo(Math.sqrt(0.5) / Math.sqrt(2), 14);
    expect(Number.isNaN(meanStderr([1]))).toBe(true);
    expect(perplexity([-1, -3])).toBeCloseTo(Math.exp(2), 12);
    const ll = [-1, -2, -0.5, -4, -3];
    expect(bootstrapStderr(perplexity, ll, 500, 1)).toBe(bootstrapStderr(perplexity, ll, 500, 1));
    expect(bootstrapStderr(perplexity, ll, 500, 1)).toBeGreaterThan(0);
  });

  it('identical sequences run once; a sequence that is a prefix of another is read from it', () => {
    const req = (ids: number[]): TaskRequest => ({ item: 0, choice: 0, ids, contLen: 1, truncated: false });
    const reqs = [req([1, 2, 3]), req([1, 2]), req([1, 2, 3]), req([1, 4]), req([1, 2, 3, 5]), req([2])];
    const { runs, host } = shareSequences(reqs);
    expect(runs).toHaveLength(3);
    expect(runs[host[0]]).toEqual([1, 2, 3, 5]);
    expect(host[1]).toBe(host[0]);
    expect(host[2]).toBe(host[0]);
    expect(host[4]).toBe(host[0]);
    expect(runs[host[3]]).toEqual([1, 4]);
    expect(runs[host[5]]).toEqual([2]);
  });
});

describe('partial and LAMBADA scoring vs the float64 reference', () => {
  let engine: Engine;
  afterAll(async () => engine?.dispose());

  it('logliks within 1e-5, greedy as the reference argmax says, perplexity = exp(-mean loglik)', async () => {
    engine = makeEngine('onnxruntime-node');
    const tiny = tinyModel('llama-gqa');
    await engine.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
    const loaded = await loadTinyModel('llama-gqa');
    const ref = referenceFor(loaded.spec, loaded.weights);
    const tok = engine.tokenizer;
    if (!tok) throw new Error('no tokenizer');
    const enc = (s: string) => tok.encode(s);
    const partial: TaskItems = {
      name: 'wino',
      kind: 'partial',
      delimiter: ' ',
      source: 'test',
      items: [
        {
          context: '',
          choices: ['The fox ran because the fox', 'The fox ran because the dog'],
          target: 'was fast.',
          gold: 0,
        },
        {
          context: '',
          choices: ['In the morning the farmer', 'In the morning the ship'],
          target: 'walks to the market.',
          gold: 0,
        },
      ],
    };
    const lamb: TaskItems = {
      name: 'lamb',
      kind: 'lambada',
      delimiter: '',
      source: 'test',
      items: [
        { context: 'The quick brown fox jumps over the lazy', choices: [' dog'], gold: 0 },
        { context: 'The dog sleeps in the', choices: [' sun'], gold: 0 },
        { context: 'He sells apples, bread and', choices: [' cheese'], gold: 0 },
      ],
    };
    const score = (ctx: string, cont: string, drop = { attn: [] as number[], mlp: [] as number[] }) => {
      const c = enc(ctx);
      const whole = enc(ctx + cont);
      const k = whole.length - c.length;
      const f = forward64(ref, whole, drop);
      let ll = 0;
      let greedy = true;
      for (let t = whole.length - k - 1; t < whole.length - 1; t++) {
        ll -= f.nll[t];
        if (f.argmax[t] !== whole[t + 1]) greedy = false;
      }
      return { ll, greedy };
    };
    for (const drop of [
      { attn: [], mlp: [] },
      { attn: [1], mlp: [0] },
    ]) {
      const p = await engine.scoreTask(partial, drop);
      const got = p.items.flatMap((x) => x.loglik);
      const want = partial.items.flatMap((it) => it.choices.map((c) => score(c, ` ${it.target}`, drop).ll));
      expect(maxRelDiff(got, want)).toBeLessThan(1e-5);
      expect(p.accNorm).toBeNull();
      expect(p.items[0].predNorm).toBeUndefined();
      const l = await engine.scoreTask(lamb, drop);
      const ref3 = lamb.items.map((it) => score(it.context, it.choices[0], drop));
      expect(
        maxRelDiff(
          l.items.map((x) => x.loglik[0]),
          ref3.map((x) => x.ll),
        ),
      ).toBeLessThan(1e-5);
      expect(l.items.map((x) => x.greedy)).toEqual(ref3.map((x) => x.greedy));
      expect(l.acc).toBeCloseTo(ref3.filter((x) => x.greedy).length / 3, 12);
      const ppl = Math.exp(-ref3.reduce((a, x) => a + x.ll, 0) / 3);
      expect(Math.abs((l.perplexity ?? 0) - ppl) / ppl).toBeLessThan(1e-5);
      expect(l.perplexityStderr).toBeGreaterThan(0);
    }
    // A choice task that reports acc only (lm-eval's boolq): no acc_norm, no predNorm.
    const yesNo: TaskItems = {
      name: 'yn',
      kind: 'choice',
      delimiter: ' ',
      source: 'test',
      accNorm: false,
      items: [{ context: 'Is the sky blue?\nAnswer:', choices: ['no', 'yes'], gold: 1 }],
    };
    const yn = await engine.scoreTask(yesNo, { attn: [], mlp: [] });
    expect(yn.accNorm).toBeNull();
    expect(yn.items[0].predNorm).toBeUndefined();
    const withNorm = await engine.scoreTask({ ...yesNo, accNorm: true }, { attn: [], mlp: [] });
    expect(withNorm.accNorm).not.toBeNull();
  });
});

describe('droplab tasks', () => {
  it('--json: acc, acc_norm, n, standard errors, items with loglik/gold/pred; a bad line exits 2 naming it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'droplab-tasks-'));
    try {
      const model = join(dir, 'model');
      writeTinyModel('llama-gqa', { dir: model });
      const good = join(dir, 'good.jsonl');
      writeFileSync(
        good,
        [
          { context: 'The quick brown fox', choices: [' jumps over the lazy dog.', ' sells apples.'], gold: 0 },
          {
            context: 'The sailors sang while the wind',
            choices: [' pushed the sails.', ' read the first page.'],
            gold: 0,
          },
          {
            context: 'In the morning the farmer walks',
            choices: [' to the market.', ' under a grey sky.', ' the the'],
            gold: 0,
          },
        ]
          .map((x) => JSON.stringify(x))
          .join('\n'),
      );
      const r = await runCli([
        'tasks',
        '--model',
        model,
        '--task',
        good,
        '--json',
        '--threads',
        '1',
        '--drop-attn',
        '1',
      ]);
      expect(r.code).toBe(0);
      const j = parseOne(r) as Record<string, unknown> & { items: Record<string, unknown>[] };
      expect(j.n).toBe(3);
      expect(j.drop).toEqual({ attn: [1], mlp: [] });
      for (const k of ['acc', 'acc_stderr', 'acc_norm', 'acc_norm_stderr']) expect(typeof j[k]).toBe('number');
      expect(j.items[2].loglik).toHaveLength(3);
      expect(j.items.map((x) => x.gold)).toEqual([0, 0, 0]);
      expect(j.selection).toEqual({ mode: 'all', total: 3, n: 3 });
      const broken = join(dir, 'broken.jsonl');
      writeFileSync(broken, '{"context":"a","choices":["b"],"gold":0}\n{"context":"a","choices":["b"],"gold":5}\n');
      const b = await runCli(['tasks', '--model', model, '--task', broken, '--threads', '1']);
      expect(b.code).toBe(2);
      expect(b.stderr).toContain('broken.jsonl, line 2: "gold" is 5');
      const u = await runCli(['tasks', '--model', model, '--task', good, '--seed', '3']);
      expect(u.code).toBe(64);
      expect(u.stderr).toContain('--seed picks a random subsample of --limit items');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('flips between two results', () => {
  it('lists the items right in one and wrong in the other, by task index', async () => {
    const { taskFlips } = await import('../../../src/engine/tasks/flips');
    const item = (index: number, correct: boolean, correctNorm: boolean) => ({
      index,
      loglik: [0, -1],
      tokens: [1, 1],
      gold: 0,
      pred: correct ? 0 : 1,
      correct,
      correctNorm,
      truncated: false,
    });
    const result = (items: ReturnType<typeof item>[]) =>
      ({ task: 't', kind: 'choice', items }) as unknown as import('../../../src/engine/api').TaskResult;
    const a = result([item(3, true, true), item(5, false, true), item(8, true, false), item(9, true, true)]);
    const b = result([item(3, false, true), item(5, true, false), item(8, true, true)]);
    expect(taskFlips(a, b)).toEqual({ lost: [3], gained: [5], compared: 3 });
    expect(taskFlips(a, b, true)).toEqual({ lost: [5], gained: [8], compared: 3 });
    expect(() => taskFlips(a, { ...b, task: 'other' })).toThrow(TaskError);
  });
});
