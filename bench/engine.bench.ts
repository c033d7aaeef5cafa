/**
 * Engine benchmark (issue 2, item 5): `npm run bench [-- options]`, writes bench/results/engine.json.
 *
 * For each model (tiny random fixture; the bundled model when present; a random llama of
 * SmolLM2-135M's shape) and each runtime (onnxruntime-node CPU; onnxruntime-web wasm in Node), in one run:
 *   (a) mean single-toggle re-evaluation time / full forward time: from the evaluated baseline, drop one
 *       sublayer and evaluate (the boundary cache recomputes from that sublayer on), for every sublayer;
 *       goal <= 0.4;
 *   (b) per-sublayer pipeline full forward (fresh cache) / one monolithic graph of the same model on the
 *       same runtime, same windows, same batch of windows per run; goal <= 1.10;
 *   (c) analysis pass (engine.analyze on a fresh cache) / plain forward; goal <= 1.25;
 *   (d) achieved FLOP/s of a forward / FLOP/s of a 1024^3 fp32 MatMul in the same runtime; goal >= 0.5.
 * Times are medians over the repetitions; one warm-up is excluded. Every session run is also timed by
 * what it runs (embedding, attention l, MLP l, head, cosine), for the diagnosis.
 *
 * FLOPs of a forward (matmuls and attention only; norms, softmax, rope, gathers are not counted):
 *   per token = 2 * (L * (d*H*hd + 2*d*Hkv*hd + H*hd*d + k*d*I) + V*d) + L * 4 * T * H*hd
 *   (k = 3 for a gated MLP, 2 otherwise; the LM head over every position; attention scores and the
 *   weighted sum over all T keys, as the graph computes them before the causal mask), times B*T tokens.
 *
 * Options: --models tiny,bundled,smol  --runtimes node,wasm  --threads N (default 1)  --reps N
 *          --smol-windows N  --smol-layers N  --smol-stride K  --smol-reps N  --experiments node|wasm|all|no  --out FILE
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine/engine';
import { monolithic } from '../src/engine/graphs/monolithic';
import type { ModelSpec } from '../src/engine/model/spec';
import { readSpec } from '../src/engine/model/load';
import * as graphs from '../src/engine/graphs/sublayers';
import { IO } from '../src/engine/graphs/sublayers';
import { GraphBuilder } from '../src/engine/onnx/builder';
import type { OrtSession, OrtSessionOptions } from '../src/engine/runtime/ort';
import { gramCosine, leanHead, leanSublayer } from './experiments';
import { type BenchModel, bundledBench, smolShapeBench, tinyBench } from './models';
import { type BenchRuntime, cpuMs, nodeRuntime, ORT_VERSIONS, profiledOrt, RunProfile, wasmRuntime } from './runtimes';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BATCH = 8; // windows per session run (the Engine's default)
const GOALS = { a: 0.4, b: 1.1, c: 1.25, d: 0.5 };

// ---- small helpers ----------------------------------------------------------------------------------

const now = () => performance.now();
const cpuNow = cpuMs;
interface Timed {
  wall: number;
  cpu: number;
}
/** Garbage from untimed steps (tokenizing in setText) is collected before each timed call when node runs with --expose-gc. */
const gc = (globalThis as { gc?: () => void }).gc;
async function timed<T>(fn: () => Promise<T>): Promise<Timed & { value: T }> {
  gc?.();
  const c0 = cpuNow();
  const t0 = now();
  const value = await fn();
  return { wall: now() - t0, cpu: cpuNow() - c0, value };
}
const medianOf = (xs: readonly Timed[]): Timed => ({
  wall: median(xs.map((x) => x.wall)),
  cpu: median(xs.map((x) => x.cpu)),
});
const ratio = (a: Timed, b: Timed) => ({ wall: round(a.wall / b.wall), cpu: round(a.cpu / b.cpu) });
const ms = (t: Timed) => ({ wall: round(t.wall), cpu: round(t.cpu) });
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const round = (x: number, digits = 4) => Number(x.toPrecision(digits));
const log = (s: string) => process.stderr.write(`${s}\n`);

function args(): Record<string, string> {
  const out: Record<string, string> = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(a[i]);
    if (!m) throw new Error(`bad argument ${a[i]}`);
    out[m[1]] = m[2] ?? a[++i];
  }
  return out;
}

/** FLOPs of one forward over `tokens` tokens in windows of T (see the header). */
export function forwardFlops(spec: ModelSpec, T: number, tokens: number): number {
  const {
    hiddenSize: d,
    numHeads: H,
    numKvHeads: Hkv,
    headDim: hd,
    intermediateSize: I,
    vocabSize: V,
    numLayers: L,
  } = spec;
  const attn = d * H * hd + 2 * d * Hkv * hd + H * hd * d;
  const mlp = (spec.mlp === 'gated' ? 3 : 2) * d * I;
  return tokens * (2 * (L * (attn + mlp) + V * d) + L * 4 * T * H * hd);
}

// ---- runtime-level measurements -----------------------------------------------------------------------

async function createSession(rt: BenchRuntime, bytes: Uint8Array): Promise<OrtSession> {
  const o: OrtSessionOptions = {
    executionProviders: rt.executionProviders,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...rt.sessionOptions,
  };
  return rt.ort.InferenceSession.create(bytes, o);
}

/** An n^3 fp32 MatMul session (A fed, B an initializer); run() times one run. */
async function matmulBench(rt: BenchRuntime, n = 1024) {
  const b = new GraphBuilder('matmul');
  const A = b.input('A', 'float32', [n, n]);
  const B = b.initializer(
    'B',
    Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5),
    [n, n],
  );
  b.output(b.matmul(A, B), 'C', [n, n]);
  const s = await createSession(rt, b.build());
  const a = new rt.ort.Tensor(
    'float32',
    Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5),
    [n, n],
  );
  return {
    n,
    flops: 2 * n ** 3,
    run: async (): Promise<Timed> => {
      const t = await timed(() => s.run({ A: a }));
      t.value.C.dispose();
      return t;
    },
    release: () => s.release(),
  };
}

/** Median time of one run of a trivial session ([1,1] Identity): the per-run overhead of the runtime. */
async function runOverheadMs(rt: BenchRuntime): Promise<number> {
  const b = new GraphBuilder('identity');
  const x = b.input('x', 'float32', [1, 1]);
  b.output(b.identity(x), 'y', [1, 1]);
  const s = await createSession(rt, b.build());
  const t = new rt.ort.Tensor('float32', new Float32Array([1]), [1, 1]);
  const times: number[] = [];
  for (let r = 0; r < 220; r++) {
    const t0 = now();
    const out = await s.run({ x: t });
    times.push(now() - t0);
    out.y.dispose();
  }
  await s.release();
  return round(median(times.slice(20)), 3);
}

// ---- per model x runtime ------------------------------------------------------------------------------

type Split = Record<string, number>;

/** Session-run milliseconds grouped: embed, attn (all layers), mlp, head, cosine. */
function group(m: Map<string, number>): Split {
  const g: Split = { embed: 0, attn: 0, mlp: 0, head: 0, cosine: 0 };
  for (const [k, v] of m) g[k.split('.')[0]] = (g[k.split('.')[0]] ?? 0) + v;
  return g;
}

function medianSplit(splits: Split[]): Split {
  const keys = [...new Set(splits.flatMap((x) => Object.keys(x)))];
  return Object.fromEntries(keys.map((k) => [k, round(median(splits.map((x) => x[k] ?? 0)))]));
}

const inRuns = (x: Split) => x.embed + x.attn + x.mlp + x.head + x.cosine;

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Everything for one model on one runtime. Each repetition runs, in turn: a fresh-cache forward, a
 * fresh-cache analysis, the monolithic graph, every single toggle, the experiments and one MatMul, so
 * that drift (JIT tier-up, other processes) touches all of them alike. Repetition 0 is the warm-up.
 */
async function benchOne(
  model: BenchModel,
  rt: BenchRuntime,
  text: string,
  matmul: Awaited<ReturnType<typeof matmulBench>>,
  overheadMs: number,
  experiments: boolean,
) {
  const { spec } = await readSpec(model.files);
  const L = spec.numLayers;
  const S = 2 * L;
  const profile = new RunProfile();
  const engine = new Engine({
    ort: profiledOrt(rt.ort, profile, L),
    backend: rt.backend,
    executionProviders: rt.executionProviders,
    batchWindows: BATCH,
    sessionOptions: rt.sessionOptions,
  });
  const settings = { seqLen: Math.min(model.seqLen, spec.maxPositions), windows: model.windows };
  // Only as much text as the windows need (at most 8 characters per token): setText tokenizes all it gets.
  const slice = text.slice(0, 8 * settings.seqLen * settings.windows);
  const load = await timed(() => engine.loadModel({ kind: 'local', name: model.id }, model.files));
  const info = load.value;
  const data = await engine.setText(slice, settings);
  const none = { attn: [], mlp: [] };
  const fresh = () => engine.setText(slice, settings); // a new window set: every cached boundary is gone
  const tokens = data.windows * data.seqLen;
  const loaded = engine.model;
  const ids = engine.windowIds;
  if (!loaded || !ids) throw new Error('engine lost its model');
  log(
    `  ${model.id} on ${rt.label}: loaded in ${(load.wall / 1000).toFixed(1)} s; ${data.windows} x ${data.seqLen} tokens`,
  );

  // The monolithic graph over the same batches of windows.
  const build = await timed(async () => monolithic(loaded.spec, loaded.weights, none));
  const mono = await createSession(rt, build.value);
  const chunks: { ids: BigInt64Array; B: number }[] = [];
  for (let w0 = 0; w0 < data.windows; w0 += BATCH) {
    const B = Math.min(BATCH, data.windows - w0);
    chunks.push({
      ids: BigInt64Array.from(ids.subarray(w0 * data.seqLen, (w0 + B) * data.seqLen), (v) => BigInt(v)),
      B,
    });
  }
  const idsTensor = (c: (typeof chunks)[number]) => new rt.ort.Tensor('int64', c.ids, [c.B, data.seqLen]);
  const monoPass = async () => {
    let sum = 0;
    let count = 0;
    for (const ch of chunks) {
      const out = await mono.run({ input_ids: idsTensor(ch) }, ['nll']);
      const nll = out.nll.data as Float32Array;
      for (let i = 0; i < nll.length; i++) sum += nll[i];
      count += nll.length;
      for (const t of Object.values(out)) t.dispose();
    }
    return sum / count;
  };

  // Experiments (bench/experiments.ts): sublayers without the cosine outputs, run by hand with the
  // engine's head; three heads on the same input; all pair cosines of one chunk in one run.
  let exp: null | {
    leanSubPass: () => Promise<number>;
    heads: () => Promise<{ engine: Timed; noArgmax: Timed; logSumExp: Timed; diff: number }>;
    pairsPass: () => Promise<Float64Array>;
    gramPass: () => Promise<Float64Array>;
    release: () => Promise<void>;
  } = null;
  if (experiments) {
    const embed = await createSession(rt, graphs.embedding(loaded.spec, loaded.weights));
    const subs: OrtSession[] = [];
    for (let s = 0; s < S; s++) subs.push(await createSession(rt, leanSublayer(loaded.spec, loaded.weights, s)));
    const head = await createSession(rt, graphs.head(loaded.spec, loaded.weights));
    const headNoArgmax = await createSession(rt, leanHead(loaded.spec, loaded.weights, 'blocks'));
    const headLse = await createSession(rt, leanHead(loaded.spec, loaded.weights, 'ReduceLogSumExp'));
    const cosine = await createSession(rt, graphs.cosine());
    const gram = await createSession(rt, gramCosine(L + 1, spec.hiddenSize));
    // Random states of the boundaries' shape (values do not change the time).
    const B0 = chunks[0].B;
    const dims = [B0, data.seqLen, spec.hiddenSize];
    const states = Array.from(
      { length: L + 1 },
      (_, i) =>
        new rt.ort.Tensor(
          'float32',
          Float32Array.from({ length: B0 * data.seqLen * spec.hiddenSize }, (_, k) => Math.sin(k * (i + 1) * 0.37)),
          dims,
        ),
    );
    const ids0 = idsTensor(chunks[0]);
    const nllOf = async (sess: OrtSession): Promise<Timed & { value: Float32Array }> =>
      timed(async () => {
        const out = await sess.run({ [IO.hidden]: states[L], [IO.inputIds]: ids0 }, [IO.nll]);
        const v = (out[IO.nll].data as Float32Array).slice();
        for (const t of Object.values(out)) t.dispose();
        return v;
      });
    exp = {
      leanSubPass: async () => {
        let sum = 0;
        let count = 0;
        for (const ch of chunks) {
          const idt = idsTensor(ch);
          let x = (await embed.run({ [IO.inputIds]: idt }))[IO.hidden];
          for (const sub of subs) {
            const y = (await sub.run({ [IO.hidden]: x }))[IO.hiddenOut];
            x.dispose();
            x = y;
          }
          const out = await head.run({ [IO.hidden]: x, [IO.inputIds]: idt }, [IO.nll]);
          x.dispose();
          const nll = out[IO.nll].data as Float32Array;
          for (let i = 0; i < nll.length; i++) sum += nll[i];
          count += nll.length;
          for (const t of Object.values(out)) t.dispose();
        }
        return sum / count;
      },
      heads: async () => {
        const e = await nllOf(head);
        const n = await nllOf(headNoArgmax);
        const l = await nllOf(headLse);
        return {
          engine: e,
          noArgmax: n,
          logSumExp: l,
          diff: Math.max(maxAbsDiff(e.value, n.value), maxAbsDiff(e.value, l.value)),
        };
      },
      pairsPass: async () => {
        const n = L + 1;
        const sums = new Float64Array(n * n);
        for (let i = 0; i < n; i++)
          for (let j = i + 1; j < n; j++) {
            const out = await cosine.run({ [IO.a]: states[i], [IO.b]: states[j] });
            const c = out[IO.cos].data as Float32Array;
            let sum = 0;
            for (let k = 0; k < c.length; k++) sum += c[k];
            sums[i * n + j] = sum;
            out[IO.cos].dispose();
          }
        return sums;
      },
      gramPass: async () => {
        const n = L + 1;
        const out = await gram.run(Object.fromEntries(states.map((t, i) => [`x${i}`, t])));
        const g = out.sum.data as Float32Array;
        const sums = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) sums[i * n + j] = g[i * n + j];
        for (const t of Object.values(out)) t.dispose();
        return sums;
      },
      release: async () => {
        for (const x of [embed, ...subs, head, headNoArgmax, headLse, cosine, gram]) await x.release();
      },
    };
  }

  // Toggled sublayers for (a): every toggleStride-th, and the last.
  const toggled: number[] = [];
  for (let s = 0; s < S; s += model.toggleStride) toggled.push(s);
  if (toggled[toggled.length - 1] !== S - 1) toggled.push(S - 1);
  const dropOf = (s: number) => (s % 2 === 0 ? { attn: [s >> 1], mlp: [] } : { attn: [], mlp: [s >> 1] });

  const T = {
    matmul: [] as Timed[],
    forward: [] as Timed[],
    analysis: [] as Timed[],
    mono: [] as Timed[],
    leanSub: [] as Timed[],
    headEngine: [] as Timed[],
    headNoArgmax: [] as Timed[],
    headLse: [] as Timed[],
    pairs: [] as Timed[],
    gram: [] as Timed[],
    toggleOn: toggled.map(() => [] as Timed[]),
    toggleOff: toggled.map(() => [] as Timed[]),
  };
  const fwdSplit: Split[] = [];
  const anSplit: Split[] = [];
  const perLabel: Map<string, number>[] = [];
  let runsPerForward = 0;
  let runsPerAnalysis = 0;
  const toggleRuns = toggled.map(() => 0);
  let baseNll = 0;
  let monoNll = 0;
  let leanNll = 0;
  let gramDiff = 0;
  let headDiff = 0;
  for (let r = 0; r <= model.reps; r++) {
    const keep = r > 0;

    await fresh();
    let runs0 = engine.sessionRuns;
    profile.start();
    const f = await timed(() => engine.evaluate(none));
    let p = profile.stop();
    runsPerForward = engine.sessionRuns - runs0;
    baseNll = f.value.meanNll;
    if (keep) {
      T.forward.push(f);
      fwdSplit.push({ ...group(p.cpu), total: f.cpu });
      perLabel.push(p.cpu);
    }

    await fresh();
    runs0 = engine.sessionRuns;
    profile.start();
    const an = await timed(() => engine.analyze(none));
    p = profile.stop();
    runsPerAnalysis = engine.sessionRuns - runs0;
    if (keep) {
      T.analysis.push(an);
      anSplit.push({ ...group(p.cpu), total: an.cpu });
    }

    const m = await timed(monoPass);
    monoNll = m.value;
    if (keep) T.mono.push(m);

    // Toggles: the cache holds the baseline (from analyze); drop s, then restore the baseline.
    await engine.evaluate(none);
    for (let i = 0; i < toggled.length; i++) {
      runs0 = engine.sessionRuns;
      const on = await timed(() => engine.evaluate(dropOf(toggled[i])));
      toggleRuns[i] = engine.sessionRuns - runs0;
      const off = await timed(() => engine.evaluate(none));
      if (keep) {
        T.toggleOn[i].push(on);
        T.toggleOff[i].push(off);
      }
    }

    if (exp) {
      const lean = await timed(exp.leanSubPass);
      leanNll = lean.value;
      const heads = await exp.heads();
      headDiff = heads.diff;
      const pairs = await timed(exp.pairsPass);
      const gram = await timed(exp.gramPass);
      gramDiff = maxAbsDiff(pairs.value, gram.value) / (chunks[0].B * data.seqLen); // per-token mean cosine
      if (keep) {
        T.leanSub.push(lean);
        T.headEngine.push(heads.engine);
        T.headNoArgmax.push(heads.noArgmax);
        T.headLse.push(heads.logSumExp);
        T.pairs.push(pairs);
        T.gram.push(gram);
      }
    }
    const mm = await matmul.run();
    if (keep) T.matmul.push(mm);
    log(
      `    rep ${r}${keep ? '' : ' (warm-up)'}: forward ${f.wall.toFixed(0)} ms, analysis ${an.wall.toFixed(0)} ms, monolithic ${m.wall.toFixed(0)} ms`,
    );
  }
  await mono.release();
  await exp?.release();
  await engine.dispose();

  const forward = medianOf(T.forward);
  const mmT = medianOf(T.matmul);
  const split = medianSplit(fwdSplit);
  const aSplit = medianSplit(anSplit);

  // (a)
  const onMed = T.toggleOn.map(medianOf);
  const offMed = T.toggleOff.map(medianOf);
  const mean = (xs: Timed[]): Timed => ({
    wall: xs.reduce((x, y) => x + y.wall, 0) / xs.length,
    cpu: xs.reduce((x, y) => x + y.cpu, 0) / xs.length,
  });
  const meanToggle = mean(onMed);
  // What recomputing from s on must cost, from the forward's own per-session times (sublayers after s + head).
  const labelMed = new Map<string, number>();
  for (const k of perLabel[0].keys()) labelMed.set(k, median(perLabel.map((x) => x.get(k) ?? 0)));
  const subMs = Array.from({ length: S }, (_, s) => labelMed.get(`${s % 2 === 0 ? 'attn' : 'mlp'}.${s >> 1}`) ?? 0);
  const headMs = labelMed.get('head') ?? 0;
  const sessionMs = (labelMed.get('embed') ?? 0) + subMs.reduce((x, y) => x + y, 0) + headMs;
  const bound = toggled.map((s) => subMs.slice(s + 1).reduce((x, y) => x + y, 0) + headMs);
  const a = {
    ratio: ratio(meanToggle, forward),
    goal: `<= ${GOALS.a}`,
    meanToggleMs: ms(meanToggle),
    forwardMs: ms(forward),
    /** Toggling back to the baseline (the same recomputation from s on): a second sample of the same quantity. */
    toggleBackRatio: ratio(mean(offMed), forward),
    sublayersToggled: toggled.length,
    meanSessionRunsPerToggle: round(toggleRuns.reduce((x, y) => x + y, 0) / toggleRuns.length),
    sessionRunsPerForward: runsPerForward,
    /** The ratio the boundary cache allows: mean over s of (sublayers after s + head) / (embedding + sublayers + head), from per-session CPU times. */
    cacheBoundRatio: round(bound.reduce((x, y) => x + y, 0) / bound.length / sessionMs),
    /** Share of the forward's session time spent in the head (paid again by every toggle). */
    headShare: round(headMs / sessionMs),
    toggledSublayers: toggled,
    perSublayerMs: onMed.map((x) => ms(x)),
  };

  // (b)
  const monoT = medianOf(T.mono);
  const b = {
    ratio: ratio(forward, monoT),
    goal: `<= ${GOALS.b}`,
    pipelineMs: ms(forward),
    monolithicMs: ms(monoT),
    monolithicBuildMs: round(build.wall),
    meanNllRelDiff: round(Math.abs(monoNll - baseNll) / baseNll, 2),
    sessionRuns: { pipeline: runsPerForward, monolithic: chunks.length },
    runOverheadMs: overheadMs,
    /** The pipeline's extra session runs times the per-run overhead, over the monolithic time. */
    runOverheadShare: round(((runsPerForward - chunks.length) * overheadMs) / monoT.wall, 3),
    ...(exp
      ? {
          /** The pipeline run by hand (no Engine) with sublayer graphs that output only hidden_out, and the engine's head: over the monolithic graph. */
          leanSublayerPipelineRatio: ratio(medianOf(T.leanSub), monoT),
          leanSublayerPipelineMs: ms(medianOf(T.leanSub)),
          leanMeanNllRelDiff: round(Math.abs(leanNll - baseNll) / baseNll, 2),
          /** The head of one chunk on the same input: as built now (nll + unfetched argmax), without ArgMax, and with one ReduceLogSumExp. */
          headMs: {
            engine: ms(medianOf(T.headEngine)),
            noArgmax: ms(medianOf(T.headNoArgmax)),
            reduceLogSumExp: ms(medianOf(T.headLse)),
            maxAbsNllDiff: round(headDiff, 2),
          },
        }
      : {}),
  };

  // (c)
  const analysis = medianOf(T.analysis);
  const c = {
    ratio: ratio(analysis, forward),
    goal: `<= ${GOALS.c}`,
    analyzeMs: ms(analysis),
    forwardMs: ms(forward),
    sessionRunsPerAnalysis: runsPerAnalysis,
    cosinePairs: ((L + 1) * L) / 2,
    /** Median CPU ms by what ran; 'outsideRuns' = CPU time not inside a session run (reading back, sums, bookkeeping). */
    analysisSplitCpuMs: { ...aSplit, outsideRuns: round(aSplit.total - inRuns(aSplit)) },
    forwardSplitCpuMs: { ...split, outsideRuns: round(split.total - inRuns(split)) },
    ...(exp
      ? {
          /** The (L+1)L/2 pair cosines of one chunk: one cosine run per pair (as now) vs one Gram-matrix run. */
          pairCosinesMs: ms(medianOf(T.pairs)),
          gramCosinesMs: ms(medianOf(T.gram)),
          gramMaxAbsDiff: round(gramDiff, 2),
        }
      : {}),
  };

  // (d)
  const flops = forwardFlops(spec, data.seqLen, tokens);
  const gf = (t: number) => round(flops / (t * 1e6));
  const mmGf = { wall: round(matmul.flops / (mmT.wall * 1e6)), cpu: round(matmul.flops / (mmT.cpu * 1e6)) };
  const d = {
    ratio: { wall: round(gf(forward.wall) / mmGf.wall), cpu: round(gf(forward.cpu) / mmGf.cpu) },
    goal: `>= ${GOALS.d}`,
    flopsPerForward: flops,
    forwardGflops: { wall: gf(forward.wall), cpu: gf(forward.cpu) },
    monolithicGflops: { wall: gf(monoT.wall), cpu: gf(monoT.cpu) },
    matmulGflops: mmGf,
    matmulMs: ms(mmT),
  };
  const show = (k: string, x: { wall: number; cpu: number }) => `${k} ${x.wall} wall / ${x.cpu} CPU`;
  log(
    `    ${show('(a)', a.ratio)} (cache bound ${a.cacheBoundRatio}); ${show('(b)', b.ratio)}; ${show('(c)', c.ratio)}; ${show('(d)', d.ratio)}`,
  );

  return {
    model: model.id,
    description: model.description,
    runtime: rt.id,
    runtimeLabel: rt.label,
    spec: {
      layers: L,
      d: spec.hiddenSize,
      heads: spec.numHeads,
      kvHeads: spec.numKvHeads,
      intermediate: spec.intermediateSize,
      vocab: spec.vocabSize,
    },
    parameters: info.parameters,
    seqLen: data.seqLen,
    windows: data.windows,
    tokens,
    reps: model.reps,
    loadMs: round(load.wall),
    a,
    b,
    c,
    d,
  };
}

// ---- main -------------------------------------------------------------------------------------------

async function main() {
  const opt = args();
  const threads = Number(opt.threads ?? 1);
  const wantModels = (opt.models ?? 'tiny,bundled,smol').split(',');
  const wantRuntimes = (opt.runtimes ?? 'node,wasm').split(',');
  const out = opt.out ?? join(ROOT, 'bench/results/engine.json');
  const text = readFileSync(join(ROOT, 'public/data/moby-dick-heldout.txt'), 'utf8');

  const models: BenchModel[] = [];
  const notes: string[] = [];
  if (wantModels.includes('tiny')) models.push(tinyBench());
  if (wantModels.includes('bundled')) {
    const m = bundledBench(ROOT);
    if (m) models.push(m);
    else notes.push('The bundled model (public/models/droplab-byte-12l) is not there yet: not measured.');
  }
  if (wantModels.includes('smol')) {
    const tg = now();
    models.push(
      smolShapeBench({
        windows: opt['smol-windows'] ? Number(opt['smol-windows']) : undefined,
        layers: opt['smol-layers'] ? Number(opt['smol-layers']) : undefined,
        toggleStride: opt['smol-stride'] ? Number(opt['smol-stride']) : undefined,
        reps: opt['smol-reps'] ? Number(opt['smol-reps']) : undefined,
      }),
    );
    log(`generated the SmolLM2-135M-shape model in ${((now() - tg) / 1000).toFixed(1)} s`);
  }
  if (opt.reps) for (const m of models) m.reps = Number(opt.reps);

  const runtimes: BenchRuntime[] = [];
  if (wantRuntimes.includes('node')) runtimes.push(nodeRuntime(threads));
  if (wantRuntimes.includes('wasm')) runtimes.push(wasmRuntime(threads));

  const machine = {
    cpu: cpus()[0]?.model ?? '?',
    cores: availableParallelism(),
    memoryGiB: round(totalmem() / 2 ** 30, 3),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    ...ORT_VERSIONS,
    loadAverageAtStart: loadavg().map((x) => round(x, 3)),
  };
  log(
    `DropLab engine benchmark on ${machine.cpu} (${machine.cores} cores), load ${machine.loadAverageAtStart.join(' ')}`,
  );

  // The experiments measure graph-level costs; by default only on onnxruntime-node (they hold a second copy of the model's sessions).
  const experimentsOn = opt.experiments ?? 'node';
  const perRuntime: Record<string, { runOverheadMs: number }> = {};
  const matmuls = new Map<string, Awaited<ReturnType<typeof matmulBench>>>();
  for (const rt of runtimes) {
    matmuls.set(rt.id, await matmulBench(rt));
    const overhead = await runOverheadMs(rt);
    perRuntime[rt.id] = { runOverheadMs: overhead };
    log(`${rt.label}: session run overhead ${overhead} ms`);
  }

  const results = [];
  for (const m of models) {
    for (const rt of runtimes) {
      const experiments = experimentsOn === 'all' || experimentsOn === rt.id;
      results.push(await benchOne(m, rt, text, matmuls.get(rt.id)!, perRuntime[rt.id].runOverheadMs, experiments));
    }
  }
  for (const mm of matmuls.values()) await mm.release();

  const report = {
    generated: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...machine, loadAverageAtEnd: loadavg().map((x) => round(x, 3)) },
    method: {
      timing:
        'repetitions interleave every measurement (MatMul, forward, analysis, monolithic, toggles, experiments) so drift touches all alike; garbage collected before every timed call (node --expose-gc); medians over reps after one warm-up repetition; every figure twice: wall clock (performance.now) and process CPU time (process.cpuUsage, user + system). With one intra-op thread CPU time is the uncontended run time, robust to other processes on a shared machine; with more threads it also counts spin-waiting.',
      batchWindows: BATCH,
      threads,
      a: 'mean over sublayers s of (evaluate with s dropped, from the evaluated baseline; the boundary cache recomputes sublayers after s and the head) / evaluate on a fresh cache',
      b: 'evaluate on a fresh cache (embedding + every sublayer + head, one session each per batch of windows) / the monolithic graph (graphs/monolithic.ts) over the same batches, same runtime and session options',
      c: 'engine.analyze on a fresh cache (sublayers with cosine outputs, one cosine run per boundary pair, head) / evaluate on a fresh cache',
      experiments:
        'b.leanPipeline*: the same pipeline run by hand with sublayer graphs that output only hidden_out and a head with ReduceLogSumExp and no ArgMax (ORT computes every output of a graph, fetched or not). c.pairCosinesMs / c.gramCosinesMs: the (L+1)L/2 boundary-pair cosines of one chunk as one cosine run per pair (as pipeline.cosinePairs does) vs one Gram-matrix graph (bench/experiments.ts).',
      d: 'FLOPs / forward time, over the GFLOP/s of a 1024^3 fp32 MatMul; FLOPs per token = 2*(L*(d*H*hd + 2*d*Hkv*hd + H*hd*d + k*d*I) + V*d) + L*4*T*H*hd (k=3 gated MLP)',
    },
    goals: { a: `<= ${GOALS.a}`, b: `<= ${GOALS.b}`, c: `<= ${GOALS.c}`, d: `>= ${GOALS.d}` },
    runtimes: perRuntime,
    notes,
    results,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);

  const pair = (x: { wall: number; cpu: number }) => `${x.wall.toFixed(3)} / ${x.cpu.toFixed(3)}`;
  const rows = results.map((r) => [
    r.model,
    r.runtime,
    `${r.windows}x${r.seqLen}`,
    pair(r.a.ratio),
    pair(r.b.ratio),
    pair(r.c.ratio),
    pair(r.d.ratio),
    pair(r.a.forwardMs),
  ]);
  const header = [
    'model',
    'runtime',
    'tokens',
    '(a) toggle',
    '(b) pipe/mono',
    '(c) analyze',
    '(d) flops',
    'forward ms',
  ];
  console.log('figures: wall-clock / CPU-time medians');
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r: unknown[]) =>
    r.map((x, i) => (i < 3 ? String(x).padEnd(w[i]) : String(x).padStart(w[i]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`goals: (a) <= ${GOALS.a}, (b) <= ${GOALS.b}, (c) <= ${GOALS.c}, (d) >= ${GOALS.d}`);
  for (const n of notes) console.log(n);
  console.log(`written ${out}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
