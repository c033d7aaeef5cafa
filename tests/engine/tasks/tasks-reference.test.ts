/**
 * Task scoring (issue 14) against the independent float64 reference (tests/reference/forward64.ts) on
 * random tiny models, with and without drops: every choice's log-likelihood within 1e-5 relative. The
 * requests are rebuilt here from lm-eval's rule (enc(context + continuation) minus len(enc(context)),
 * trailing spaces of the context moved, the tokenizer's own prefix, left truncation to the window), not
 * taken from the engine. Also: acc/acc_norm follow the logliks, truncation is counted, results are
 * memoized per drop configuration and a toggle recomputes only from the changed sublayer on.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { DropConfig, TaskItems } from '../../../src/engine/api';
import { TINY_CORPUS, loadTinyModel, tinyModel } from '../../fixtures/tiny-models';
import { forward64, referenceFor } from '../../reference/forward64';
import { type EngineRuntime, makeEngine, maxRelDiff } from '../setup';
import type { Engine } from '../../../src/engine/engine';
import { nodeEngine, threads } from '../../../src/cli/ort-node';

const DROPS: DropConfig[] = [
  { attn: [], mlp: [] },
  { attn: [1], mlp: [] },
  { attn: [0], mlp: [1] },
];

/** A task from the tiny corpus: a sentence's start, its true end and ends of other sentences. */
function corpusTask(longContext: string): TaskItems {
  const items = TINY_CORPUS.map((doc, i) => {
    const cut = doc.indexOf(' ', 30);
    const other = TINY_CORPUS[(i + 1) % TINY_CORPUS.length];
    return {
      context: `${doc.slice(0, cut)} `, // trailing space: lm-eval moves it into the continuation
      choices: [doc.slice(cut + 1, cut + 40), other.slice(10, 45), 'the the the'],
      gold: 0,
    };
  });
  items.push({ context: longContext, choices: [' and the fox runs', ' to the market'], gold: 1 });
  items.push({ context: '', choices: ['The quick brown fox', 'A small ship'], gold: 0 }); // empty context: prefix token
  return { name: 'corpus', kind: 'choice', delimiter: '', items, source: 'test' };
}

function refLoglik(
  enc: (s: string) => number[],
  prefix: number[],
  prefixToken: number,
  window: number,
  ref: ReturnType<typeof referenceFor>,
  context: string,
  continuation: string,
  drop: DropConfig,
): { ll: number; truncated: boolean } {
  let ctx: number[];
  let cont: number[];
  if (context === '') {
    ctx = [prefixToken];
    cont = enc(continuation);
  } else {
    const stripped = context.trimEnd();
    ctx = [...prefix, ...enc(stripped)];
    const whole = [...prefix, ...enc(context + continuation)];
    cont = whole.slice(ctx.length);
  }
  let ids = [...ctx, ...cont];
  const truncated = ids.length > window;
  if (truncated) ids = ids.slice(ids.length - window);
  const nll = forward64(ref, ids, drop).nll;
  let ll = 0;
  for (let t = ids.length - cont.length - 1; t < ids.length - 1; t++) ll -= nll[t];
  return { ll, truncated };
}

describe.each([
  ['llama-gqa', 'onnxruntime-node'],
  ['llama-tied', 'onnxruntime-node'],
  ['gpt2', 'onnxruntime-web wasm'],
] as const)('task logliks on %s (%s) vs float64 reference', (variant, rt) => {
  let engine: Engine;
  afterAll(async () => engine?.dispose());

  it('every choice within 1e-5 relative, with and without drops; metrics follow the logliks', async () => {
    engine = makeEngine(rt as EngineRuntime);
    const tiny = tinyModel(variant);
    await engine.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
    const loaded = await loadTinyModel(variant);
    const ref = referenceFor(loaded.spec, loaded.weights);
    const tok = engine.tokenizer;
    if (!tok) throw new Error('no tokenizer');
    const window = loaded.spec.maxPositions;
    const long = TINY_CORPUS.join(' ').repeat(Math.ceil((window * 6) / TINY_CORPUS.join(' ').length));
    const task = corpusTask(long);
    const prefix = tok.specialPrefix();
    const prefixToken = prefix[0] ?? tok.eosTokenId ?? loaded.spec.eosTokenId;
    for (const drop of DROPS) {
      const r = await engine.scoreTask(task, drop);
      const got: number[] = [];
      const want: number[] = [];
      let truncated = 0;
      task.items.forEach((it, i) => {
        it.choices.forEach((c, k) => {
          const e = refLoglik((s) => tok.encode(s), prefix, prefixToken, window, ref, it.context, c, drop);
          got.push(r.items[i].loglik[k]);
          want.push(e.ll);
          if (e.truncated) truncated++;
        });
      });
      expect(maxRelDiff(got, want)).toBeLessThan(1e-5);
      expect(truncated).toBeGreaterThan(0);
      expect(r.truncated).toBe(truncated);
      expect(r.requests).toBe(got.length);
      for (const item of r.items) {
        const best = item.loglik.indexOf(Math.max(...item.loglik));
        expect(item.pred).toBe(best);
        expect(item.correct).toBe(best === item.gold);
        const it = task.items[item.index];
        const norm = item.loglik.map((ll, k) => ll / [...it.choices[k]].length);
        expect(item.predNorm).toBe(norm.indexOf(Math.max(...norm)));
      }
      const acc = r.items.filter((x) => x.correct).length / r.n;
      expect(r.acc).toBeCloseTo(acc, 12);
      expect(r.accStderr).toBeCloseTo(Math.sqrt((acc * (1 - acc)) / (r.n - 1)), 12);
    }
  });

  it('memoized per drop configuration; a toggle reruns only from the changed sublayer', async () => {
    const task = corpusTask('Short context.');
    const L = engine.model?.spec.numLayers ?? 0;
    const r0 = engine.sessionRuns;
    await engine.scoreTask(task, DROPS[0]);
    const full = engine.sessionRuns - r0;
    const r1 = engine.sessionRuns;
    await engine.scoreTask(task, DROPS[0]);
    expect(engine.sessionRuns - r1).toBe(0);
    // Drop the last MLP: only the head runs again (one run per batch) -- fewer than a full pass.
    const r2 = engine.sessionRuns;
    await engine.scoreTask(task, { attn: [], mlp: [L - 1] });
    const toggled = engine.sessionRuns - r2;
    expect(toggled).toBeGreaterThan(0);
    expect(toggled).toBeLessThan(full / 2);
  });
});

describe('task batches past the cache budget', () => {
  it('same logliks whether batches keep their states or not; only kept batches make a toggle incremental', async () => {
    const tiny = tinyModel('llama-gqa');
    const task = corpusTask('Short context.');
    const L = 3;
    const runsFor = async (cacheBytes: number) => {
      const e = nodeEngine({ ...threads(1), taskBatches: { batchTokens: 64, cacheBytes } });
      try {
        await e.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
        const r0 = e.sessionRuns;
        const a = await e.scoreTask(task, { attn: [], mlp: [] });
        const full = e.sessionRuns - r0;
        const r1 = e.sessionRuns;
        const b = await e.scoreTask(task, { attn: [], mlp: [L - 1] });
        return { a, b, full, toggled: e.sessionRuns - r1 };
      } finally {
        await e.dispose();
      }
    };
    const all = await runsFor(1 << 30);
    const none = await runsFor(0);
    const some = await runsFor(3 * 32 * 4 * (2 * L + 1) * 64); // about three batches of 64 tokens
    for (const x of [none, some]) {
      expect(
        maxRelDiff(
          x.a.items.flatMap((i) => i.loglik),
          all.a.items.flatMap((i) => i.loglik),
        ),
      ).toBeLessThan(1e-6);
      expect(
        maxRelDiff(
          x.b.items.flatMap((i) => i.loglik),
          all.b.items.flatMap((i) => i.loglik),
        ),
      ).toBeLessThan(1e-6);
    }
    expect(none.full).toBe(all.full);
    expect(none.toggled).toBe(none.full - 1 /* the dropped MLP does not run */ * (none.full / (2 * L + 2)));
    expect(all.toggled).toBeLessThan(some.toggled);
    expect(some.toggled).toBeLessThan(none.toggled);
  });
});

describe('task scoring on the analysis queue', () => {
  it('reports progress to its total, and cancel() stops it with CancelledError; the next call scores normally', async () => {
    const tiny = tinyModel('llama-gqa');
    const e = nodeEngine({ ...threads(1), taskBatches: { batchTokens: 64 } });
    try {
      await e.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
      const task = corpusTask('Short context.');
      const seen: { stage: string; done: number; total: number }[] = [];
      const ref = await e.scoreTask(task, { attn: [], mlp: [] }, {}, (p) => seen.push(p));
      expect(seen.length).toBeGreaterThan(2);
      expect(new Set(seen.map((p) => p.stage))).toEqual(new Set(['task']));
      expect(seen.map((p) => p.done)).toEqual(seen.map((_, i) => i));
      expect(seen.length).toBe(seen[0].total);
      let reports = 0;
      const p = e.scoreTask(task, { attn: [1], mlp: [] }, {}, () => {
        if (++reports === 2) e.cancel();
      });
      await expect(p).rejects.toMatchObject({ name: 'CancelledError' });
      const again = await e.scoreTask(task, { attn: [], mlp: [] });
      expect(again.items.map((i) => i.loglik)).toEqual(ref.items.map((i) => i.loglik));
      const after = await e.scoreTask(task, { attn: [1], mlp: [] });
      expect(after.n).toBe(ref.n);
    } finally {
      await e.dispose();
    }
  });
});
