/**
 * A fake EngineClient for UI and store tests (and the UI harness page): deterministic synthetic
 * numbers with the engine's semantics. NLL is additive over dropped sublayers, so drop-one results are
 * exactly the evaluate() differences, as they are for the real engine up to rounding.
 */
import type {
  AnalysisResult,
  BackendReport,
  DataInfo,
  DropConfig,
  DropOneResult,
  EngineClient,
  EvalResult,
  InspectResult,
  LoadProgress,
  LoadResult,
  ModelEstimate,
  ModelInfo,
  ModelSource,
  ModelSpec,
  PlanResult,
  Progress,
  TaskItems,
  TaskResult,
} from '../../src/engine/api';
import {
  CancelledError,
  DatasetError,
  MissingFileError,
  RuntimeError,
  TextTooShortError,
  UnsupportedArchitectureError,
} from '../../src/engine/errors';
import { tinySpec } from '../fixtures/specs';

/** A llama-like spec of a small byte-level model: d=128, L layers, GQA 4/2, V=257, tied, no BOS. */
export function fakeSpec(L = 12): ModelSpec {
  return tinySpec({
    vocabSize: 257,
    hiddenSize: 128,
    numLayers: L,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 32,
    intermediateSize: 384,
    maxPositions: 512,
    normEps: 1e-5,
    tiedEmbeddings: true,
    bosTokenId: null,
    eosTokenId: 256,
  });
}

export interface FakeOptions {
  layers?: number;
  /** Delay of each analysis call in ms (0: resolve on the next tick). */
  delayMs?: number;
  backend?: BackendReport;
  /** Hub ids that behave specially. */
  missing?: string[];
  unsupported?: string[];
  tooLarge?: string[];
}

export interface FakeEngine extends EngineClient {
  calls: { method: string; arg?: unknown }[];
  count(method: string): number;
  readonly spec: ModelSpec;
  /** The NLL the fake assigns to a configuration. */
  nll(d: DropConfig): number;
  /** The device-loss callback the page passed to init(). */
  onDeviceLost?: (message: string, cause?: 'device' | 'engine') => void;
}

async function noPanels(): Promise<never> {
  throw new RuntimeError(
    'The fake engine has no export, generation or speed: tests/app/export gives the panels their own client.',
  );
}

/** Cost of dropping each sublayer (nats): early layers and MLPs matter more, late attention little. */
function weights(L: number) {
  const attn = Array.from({ length: L }, (_, l) =>
    l === 0 ? 0.9 : 0.004 + 0.05 * Math.exp(-l / 2) + 0.001 * ((l * 7) % 5),
  );
  const mlp = Array.from({ length: L }, (_, l) =>
    l === 0 ? 1.2 : 0.03 + 0.2 * Math.exp(-l / 3) + 0.002 * ((l * 3) % 4),
  );
  return { attn, mlp };
}

export function createFakeEngine(opts: FakeOptions = {}): FakeEngine {
  const L = opts.layers ?? 12;
  const spec = fakeSpec(L);
  const w = weights(L);
  const calls: { method: string; arg?: unknown }[] = [];
  let generation = 0;
  let data: DataInfo | null = null;
  let loaded: ModelInfo | null = null;

  const nll = (d: DropConfig) =>
    1.2 + d.attn.reduce((s, l) => s + w.attn[l], 0) + d.mlp.reduce((s, l) => s + w.mlp[l], 0);

  const wait = async (gen: number, steps: number, onProgress?: (p: Progress) => void, stage = 'analyze') => {
    for (let i = 0; i < steps; i++) {
      if (gen !== generation) throw new CancelledError('Cancelled.');
      onProgress?.({ stage, done: i, total: steps, unit: 'sublayers' });
      await new Promise((r) => setTimeout(r, (opts.delayMs ?? 0) / steps));
    }
    if (gen !== generation) throw new CancelledError('Cancelled.');
  };

  const evalOf = (d: DropConfig): EvalResult => {
    if (!data) throw new Error('no text');
    const m = nll(d);
    return {
      drop: d,
      meanNll: m,
      perplexity: Math.exp(m),
      tokens: data.predictedTokens,
      seqLen: data.seqLen,
      windows: data.windows,
    };
  };

  const analysisOf = (d: DropConfig): AnalysisResult => {
    const attnDropped = (l: number) => d.attn.includes(l);
    const mlpDropped = (l: number) => d.mlp.includes(l);
    const scale = (l: number, base: number) => base * (1 + 0.03 * d.attn.filter((x) => x < l).length);
    const attn = w.attn.map((x, l) => (attnDropped(l) ? Number.NaN : scale(l, x * 0.5)));
    const mlp = w.mlp.map((x, l) => (mlpDropped(l) ? Number.NaN : scale(l, x * 0.4)));
    const block = Array.from({ length: L }, (_, l) =>
      attnDropped(l) && mlpDropped(l) ? Number.NaN : (w.attn[l] + w.mlp[l]) * 0.35,
    );
    const B = L + 1;
    const similarity = Array.from({ length: B }, (_, i) =>
      Array.from({ length: B }, (_, j) =>
        i === j ? 1 : Math.max(0.05, 1 - 0.05 * Math.abs(i - j) - (Math.min(i, j) < 1 ? 0.4 : 0)),
      ),
    );
    const angular = Array.from({ length: L }, (_, l) =>
      Array.from({ length: L }, (_, k) =>
        l + k + 1 > L ? Number.NaN : Math.min(0.6, 0.03 * (k + 1) + (l === 0 ? 0.25 : 0) + 0.01 * Math.abs(l - 6)),
      ),
    );
    return {
      drop: d,
      importance: { attn, mlp, block, attnNoNorm: attn.map((x) => x * 1.7), mlpNoNorm: mlp.map((x) => x * 1.3) },
      similarity,
      angular,
      eval: evalOf(d),
    };
  };

  const estimate = (id: string, cached = false): ModelEstimate => ({
    parameters: 2_400_000,
    float32Bytes: 9_600_000,
    storedBytes: 9_600_000,
    largestTensorBytes: 200_000,
    limitBytes: 1.5 * 2 ** 30,
    maxBufferBytes: null,
    fits: !(opts.tooLarge ?? []).includes(id),
    files: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'],
    cached,
  });

  const idOf = (input: ModelSource) => (input.kind === 'hub' ? input.id : input.name);

  const engine: FakeEngine = {
    calls,
    spec,
    nll,
    count: (m) => calls.filter((c) => c.method === m).length,
    async init(_opts, onDeviceLost) {
      calls.push({ method: 'init' });
      engine.onDeviceLost = onDeviceLost;
      return (
        opts.backend ?? {
          backend: 'webgpu',
          adapter: {
            vendor: 'google',
            architecture: 'swiftshader',
            device: '',
            description: 'SwiftShader',
            isFallbackAdapter: true,
            features: ['subgroups'],
            maxBufferSize: 2 ** 30,
          },
          crossOriginIsolated: true,
          threads: 2,
        }
      );
    },
    async inspect(input): Promise<InspectResult> {
      calls.push({ method: 'inspect', arg: input });
      const id = idOf(input);
      if ((opts.missing ?? []).includes(id))
        throw new MissingFileError(`The Hub repository ${id} was not found (HTTP 404).`, { status: 404 });
      if ((opts.unsupported ?? []).includes(id))
        throw new UnsupportedArchitectureError(`model_type "bert" is not supported.`);
      return {
        source: input.kind === 'hub' ? { kind: 'hub', id: input.id } : { kind: 'bundled', name: id },
        spec,
        estimate: estimate(id),
      };
    },
    async loadModel(input, onProgress?: (p: LoadProgress) => void): Promise<LoadResult> {
      calls.push({ method: 'loadModel', arg: input });
      const total = 9_600_000;
      for (let i = 0; i <= 4; i++) {
        onProgress?.({
          stage: 'download',
          done: (total * i) / 4,
          total,
          unit: 'bytes',
          files: { done: i, total: 4 },
          file: 'model.safetensors',
        });
        await new Promise((r) => setTimeout(r, 0));
      }
      const source =
        input.kind === 'hub'
          ? { kind: 'hub' as const, id: input.id, ...(input.revision ? { revision: input.revision } : {}) }
          : { kind: input.kind, name: input.name };
      loaded = {
        source,
        name: idOf(input),
        spec,
        parameters: 2_400_000,
        weightBytes: 9_600_000,
        backend: { name: 'webgpu', detail: 'fake', keepOnDevice: true },
      };
      data = null;
      return { ...loaded, estimate: estimate(idOf(input)), fromCache: false };
    },
    async setText(text, settings) {
      calls.push({ method: 'setText', arg: settings });
      if (!loaded) throw new Error('no model');
      const body = Array.isArray(text) ? text.join('\f') : text;
      const textTokens = new TextEncoder().encode(body).length + 1;
      const available = Math.floor(textTokens / settings.seqLen);
      if (available < 1)
        throw new TextTooShortError(`The text has ${textTokens} tokens, but one window needs ${settings.seqLen}.`);
      const windows = Math.min(settings.windows, available);
      data = {
        seqLen: settings.seqLen,
        windows,
        textTokens,
        availableWindows: available,
        predictedTokens: windows * (settings.seqLen - 1),
      };
      return data;
    },
    async evaluate(drop, onProgress) {
      calls.push({ method: 'evaluate', arg: drop });
      const gen = generation;
      await wait(gen, 2, onProgress, 'evaluate');
      return evalOf(drop);
    },
    async analyze(drop, onProgress) {
      calls.push({ method: 'analyze', arg: drop });
      const gen = generation;
      await wait(gen, 4, onProgress);
      return analysisOf(drop);
    },
    async dropOne(base, onProgress): Promise<DropOneResult> {
      calls.push({ method: 'dropOne', arg: base });
      const gen = generation;
      await wait(gen, 6, onProgress, 'drop-one');
      const b = nll(base);
      return {
        base,
        baseNll: b,
        attn: w.attn.map((x, l) => (base.attn.includes(l) ? null : x)),
        mlp: w.mlp.map((x, l) => (base.mlp.includes(l) ? null : x)),
      };
    },
    async plan(req, onProgress): Promise<PlanResult> {
      calls.push({ method: 'plan', arg: req });
      const gen = generation;
      await wait(gen, 3, onProgress, 'plan');
      const scores = analysisOf({ attn: [], mlp: [] }).importance;
      const cands: { kind: 'attn' | 'mlp' | 'block'; layer: number; s: number }[] = [];
      for (let l = 0; l < L; l++) {
        if (req.target === 'attn' || req.target === 'joint') cands.push({ kind: 'attn', layer: l, s: scores.attn[l] });
        if (req.target === 'mlp' || req.target === 'joint') cands.push({ kind: 'mlp', layer: l, s: scores.mlp[l] });
        if (req.target === 'block') cands.push({ kind: 'block', layer: l, s: scores.block[l] });
      }
      const chosen = cands.sort((a, b) => a.s - b.s).slice(0, req.n);
      const drop: DropConfig = { attn: [], mlp: [] };
      for (const c of chosen) {
        if (c.kind !== 'mlp') drop.attn.push(c.layer);
        if (c.kind !== 'attn') drop.mlp.push(c.layer);
      }
      drop.attn.sort((a, b) => a - b);
      drop.mlp.sort((a, b) => a - b);
      return { drop, steps: [{ chosen: chosen.map(({ kind, layer }) => ({ kind, layer })), scores }] };
    },
    async tokenDelta(kind, layer) {
      calls.push({ method: 'tokenDelta' });
      return { kind, layer, tokens: ['a', 'b'], delta: [0.1, 0.2] };
    },
    cancel(task = 'analysis') {
      calls.push({ method: 'cancel' });
      if (task === 'analysis') generation++;
    },
    // The export, generation and speed panels are tested with their own client (tests/app/export).
    previewExport: noPanels,
    exportZip: noPanels,
    generate: noPanels,
    measureSpeed: noPanels,
    async scoreTask(task, drop, opts = {}, onProgress) {
      calls.push({ method: 'scoreTask', arg: drop });
      const gen = generation;
      if (!('items' in task))
        throw new DatasetError(
          `The fake engine reaches no Hub: ${task.kind === 'builtin' ? task.name : task.url}.`,
          {},
        );
      await wait(gen, 3, onProgress, 'task');
      return fakeTaskResult(task, drop, opts, nll(drop) - nll({ attn: [], mlp: [] }));
    },
    async setWeightPrecision(precision) {
      calls.push({ method: 'setWeightPrecision', arg: precision });
    },
    async setHubToken(token: string | null) {
      // The token itself is never recorded (nothing may keep it): only whether one is set.
      calls.push({ method: 'setHubToken', arg: token ? 'set' : null });
    },
    async clearCache() {
      calls.push({ method: 'clearCache' });
    },
  };
  return engine;
}

/** A number in [0, 1) from an item index and a salt (deterministic). */
function unit(i: number, salt: number): number {
  let h = (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(salt + 7, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return ((h ^ (h >>> 13)) >>> 0) / 2 ** 32;
}

/**
 * Synthetic task scores with the engine's shape: each choice's log-likelihood is fixed per item, the gold
 * choice ahead by a margin that the drops' extra NLL (`damage`) eats into, item by item, so that dropping
 * flips some items. acc, acc_norm and their standard errors are computed as the engine does.
 */
export function fakeTaskResult(
  task: TaskItems,
  drop: DropConfig,
  opts: { limit?: number; seed?: number; includeText?: boolean },
  damage: number,
): TaskResult {
  const total = task.items.length;
  const n = Math.min(total, opts.limit ?? total);
  let indices = Array.from({ length: total }, (_, i) => i);
  if (opts.limit !== undefined && opts.seed !== undefined)
    indices = indices
      .sort((a, b) => unit(a, opts.seed!) - unit(b, opts.seed!))
      .slice(0, n)
      .sort((a, b) => a - b);
  else indices = indices.slice(0, n);
  const argmax = (v: number[]) => v.reduce((best, x, j) => (x > v[best] ? j : best), 0);
  const items = indices.map((index) => {
    const it = task.items[index];
    const margin = 2 * unit(index, 1) - 0.5;
    const loglik = it.choices.map(
      (_, j) => -6 - unit(index, 10 + j) + (j === it.gold ? margin - 3 * damage * unit(index, 2) : 0),
    );
    const pred = argmax(loglik);
    const predNorm = argmax(loglik.map((x, j) => x / Math.max(1, [...it.choices[j]].length)));
    return {
      index,
      loglik,
      tokens: it.choices.map((c) => c.length),
      gold: it.gold,
      pred,
      correct: pred === it.gold,
      predNorm,
      correctNorm: predNorm === it.gold,
      truncated: false,
      ...(opts.includeText ? { item: it } : {}),
    };
  });
  const mean = (f: (x: (typeof items)[number]) => boolean) => items.filter(f).length / Math.max(1, items.length);
  const se = (p: number) => (items.length > 1 ? Math.sqrt((p * (1 - p)) / (items.length - 1)) : 0);
  const acc = mean((x) => x.correct);
  const accNorm = mean((x) => x.correctNorm);
  return {
    task: task.name,
    kind: task.kind,
    source: task.source,
    drop,
    selection: {
      mode: opts.limit === undefined ? 'all' : opts.seed !== undefined ? 'sample' : 'first',
      total,
      n,
      ...(opts.seed !== undefined && opts.limit !== undefined ? { seed: opts.seed } : {}),
    },
    n,
    acc,
    accStderr: se(acc),
    accNorm,
    accNormStderr: se(accNorm),
    perplexity: null,
    perplexityStderr: null,
    truncated: 0,
    requests: items.reduce((s, x) => s + x.loglik.length, 0),
    sequences: items.reduce((s, x) => s + x.loglik.length, 0),
    forwardTokens: 0,
    window: 512,
    items,
    ms: 1,
  };
}
