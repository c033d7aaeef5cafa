/**
 * Engine: the EngineApi over an injected ONNX runtime. The same class runs in the Web Worker
 * (onnxruntime-web, WebGPU or wasm), in the Node CLI and in the tests (onnxruntime-node or
 * onnxruntime-web's wasm in Node).
 *
 * The export, generation and speed methods run beside that queue (model-tasks.ts); cancel(task) stops one
 * of them. The analysis calls are serialized (one at a time, in order); cancel() makes the call in flight and every queued
 * call reject with CancelledError at their next session run.
 */
import type {
  AnalysisResult,
  DataInfo,
  DataSettings,
  DropConfig,
  DropOneResult,
  EngineApi,
  EngineTask,
  EvalResult,
  ExportRequest,
  ExportSummary,
  GenerateEvent,
  GenerateRequest,
  GenerateSummary,
  ModelFiles,
  ModelInfo,
  ModelSource,
  NllEstimate,
  PlanRequest,
  PlanResult,
  Progress,
  ProgressFn,
  SpeedReport,
  SpeedRequest,
  TaskItems,
  TaskOptions,
  TaskResult,
  TaskSpec,
  TokenDelta,
  WeightPrecision,
} from './api';
import { type BatchSchedule, windowBatches } from './batches';
import { buildWindows, splitDocuments } from './data';
import { embedRows } from './embed-rows';
import { dropFlags, normalizeDrop, sublayerIndex, sublayerOf, withDropped } from './drops';
import {
  asDropLabError,
  CancelledError,
  DropLabError,
  ModelTooLargeError,
  NonFiniteError,
  RuntimeError,
  SettingsError,
} from './errors';
import { liveFormat, precisionSessionOptions } from './graphs/precision';
import * as graphs from './graphs/sublayers';
import type { GraphBuilder, GraphBytes } from './onnx/builder';
import { loadModelFromFiles, type LoadedModel } from './model/load';
import { createModelTasks, type ModelTasks } from './model-tasks';
import { checkTokenizerVocab } from './model/vocab';
import { blockBoundaries, blockMetrics, sublayerImportance } from './metrics';
import { dropDistance, nllEstimate, pairedNllEstimate } from './nll-estimate';
import { type NllSum, Pipeline, type PipelineSessions } from './pipeline';
import { plan as planDrops } from './planner';
import type { BackendChoice, OrtLike, OrtSession, OrtSessionOptions } from './runtime/ort';
import { Tokenizer } from './tokenizer';
import { type DatasetFetchOptions, loadTaskSpec } from './tasks/hub-dataset';
import type { BatchOptions } from './tasks/score';
import { TaskScorer } from './tasks/scorer';

export interface EngineOptions {
  ort: OrtLike;
  backend: BackendChoice;
  executionProviders: string[];
  /**
   * Refuse models past these (predicted from config.json before any weight is read, per weight
   * precision: model/admission.ts). maxTotalBytes: the engine's memory budget; maxBufferBytes: the
   * largest buffer; wasm32 is implied by a 'wasm' backend.
   */
  limits?: { maxBufferBytes?: number; maxTotalBytes?: number; maxStorageBufferBindingSize?: number };
  /** Weight precision (graphs/precision.ts). Absent: fp32 when it fits, else the most precise that fits. */
  weights?: WeightPrecision;
  /** The runtime has float16 kernels (default true; false on WebGPU without shader-f16). */
  f16?: boolean;
  /** Vocabulary rows per LM-head chunk (graphs/chunked-head.ts). */
  vocabChunk?: number;
  /** Windows per session run (default 8; at most this under a growing schedule). */
  batchWindows?: number;
  /**
   * How the windows are cut into batches (batches.ts). Default 'first-one': a toggle's first estimate
   * arrives after one window's work (issue 13 item 6; bench/progressive.ts measures the choices).
   */
  batchSchedule?: BatchSchedule;
  /** Extra session options (e.g. graphOptimizationLevel). */
  sessionOptions?: OrtSessionOptions;
  /**
   * Hand each graph's weights to the runtime as in-memory external data instead of inside its protobuf
   * (GraphBuilder.buildWeightsApart: no serialized copy of the weights). nodeEngine turns it on; the
   * results are the same either way.
   */
  weightsApart?: boolean;
  /** The runtime the export, generation and speed sessions run on (default `ort`; the worker's foreground lane). */
  taskOrt?: OrtLike;
  /** Runs fn with the analysis' session runs held back (workers/ort-queue.ts); absent: no holding. */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Where scoreTask reads built-in and URL tasks (Hub base URL, fetch; tests use a local server). */
  datasets?: DatasetFetchOptions;
  /** Task scoring batches: tokens per batch, most bytes of cached boundary states (tasks/score.ts). */
  taskBatches?: BatchOptions;
}

interface Loaded {
  info: ModelInfo;
  /** The folder the model was loaded from (the export copies its config and tokenizer files). */
  files: ModelFiles;
  model: LoadedModel;
  tokenizer: Tokenizer;
  sessions: PipelineSessions;
  pipeline: Pipeline;
  tasks: TaskScorer;
}

export class Engine implements EngineApi {
  private loaded: Loaded | null = null;
  private data: {
    info: DataInfo;
    windowIds: Int32Array;
    docs: readonly string[];
    settings: DataSettings;
  } | null = null;
  /** Results by drop configuration for the current model and windows (a toggle back, or to a drop-one neighbour, is free). */
  private memo = new Map<string, NllSum>();
  private queue: Promise<unknown> = Promise.resolve();
  private generation = 0; // bumped by cancel(): calls started under an older generation stop
  private runs = 0;

  /** Export, generation and speed: beside the queue, on the loaded model (model-tasks.ts). */
  private readonly tasks: ModelTasks;

  constructor(private readonly opts: EngineOptions) {
    this.tasks = createModelTasks({
      loaded: () => {
        const l = this.loaded;
        if (!l) return null;
        const windowIds = this.data?.windowIds ?? null;
        const text = this.data ? { docs: this.data.docs, info: this.data.info } : null;
        return { model: l.model, tokenizer: l.tokenizer, windowIds, text, files: l.files, name: l.info.name };
      },
      runtime: () => ({
        ort: opts.taskOrt ?? opts.ort,
        executionProviders: opts.executionProviders,
        backend: opts.backend,
        exclusive: opts.exclusive,
      }),
    });
  }

  get backend(): BackendChoice {
    return this.opts.backend;
  }

  /** Session runs made so far (benchmarks and tests read it). */
  get sessionRuns(): number {
    return this.runs;
  }

  /** See EngineApi.cancel: 'analysis' (the default) rejects the queued calls, 'generate' resolves early. */
  cancel(task: EngineTask = 'analysis'): void {
    if (task === 'analysis') this.generation++;
    else this.tasks.cancel(task);
  }

  async dispose(): Promise<void> {
    await this.tasks.dispose();
    await this.serial(async () => this.unload());
  }

  // ---------------------------------------------------------------------------------------------
  // Export, generation and speed (model-tasks.ts).

  previewExport(req: ExportRequest) {
    return this.tasks.previewExport(req);
  }

  exportZip(
    req: ExportRequest,
    onChunks: (chunks: Uint8Array[], final: boolean) => void,
    onProgress?: ProgressFn,
  ): Promise<ExportSummary> {
    return this.tasks.exportZip(req, onChunks, onProgress);
  }

  generate(req: GenerateRequest, onEvent: (e: GenerateEvent) => void): Promise<GenerateSummary> {
    return this.tasks.generate(req, onEvent);
  }

  measureSpeed(req: SpeedRequest, onProgress?: ProgressFn): Promise<SpeedReport> {
    return this.tasks.measureSpeed(req, onProgress);
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Load a model. Its config, admission, weight plan and tokenizer are read while the current model is still
   * loaded, so a refusal there (too large, unsupported, quantized, corrupt header) leaves it as it was. Building
   * the sessions needs the memory back, so the current model is released first; when the build then fails
   * (out of memory, a bad weight, cancelled) the previous model and its text are loaded again and the error
   * says so (details.previousModel). Running out of memory is a ModelTooLargeError naming where.
   */
  loadModel(source: ModelSource, files: ModelFiles, onProgress?: ProgressFn): Promise<ModelInfo> {
    return this.serial(async (hook) => {
      const next = await this.readModel(source, files, this.opts.weights, onProgress);
      const prev = this.loaded;
      const prevData = this.data;
      await this.unload();
      try {
        return await this.build(next, hook, onProgress);
      } catch (e) {
        const err = outOfMemory(e, next.model.precision) ?? e;
        if (!prev) throw err;
        try {
          const again = await this.readModel(prev.info.source, prev.files, prev.model.precision);
          const info = await this.build(again, () => undefined);
          if (prevData) this.applyText(prevData.docs, prevData.settings);
          if (err instanceof DropLabError) Object.assign(err.details, { previousModel: info.name });
        } catch {
          // the previous model could not be loaded again either: no model, the first error stands
        }
        throw err;
      }
    });
  }

  /** config.json, admission at the precision, the weight plan (nothing decoded yet) and the tokenizer. */
  private async readModel(
    source: ModelSource,
    files: ModelFiles,
    weights: WeightPrecision | undefined,
    onProgress?: ProgressFn,
  ) {
    const limits = this.opts.limits ?? {};
    const name = source.kind === 'hub' ? source.id : source.name;
    const model = await loadModelFromFiles(files, {
      maxWeightBytes: limits.maxTotalBytes,
      maxTensorBytes: limits.maxBufferBytes,
      limits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        wasm32: this.opts.backend.name === 'wasm',
        f16: this.opts.f16 ?? true,
      },
      weights,
      name,
      onProgress,
    });
    const tokenizer = await Tokenizer.fromFiles(files, { eosTokenId: model.spec.eosTokenId });
    checkTokenizerVocab(tokenizer, model.spec);
    return { source, files, model, tokenizer, name };
  }

  /** Stream the weights into the sessions of every sublayer, the head and the similarity graph. */
  private async build(
    { source, files, model, tokenizer, name }: Awaited<ReturnType<Engine['readModel']>>,
    hook: () => void,
    onProgress?: ProgressFn,
  ): Promise<ModelInfo> {
    const f16 = this.opts.f16 ?? true;
    const { spec, weights, precision } = model;
    // Weights stream from the files a graph at a time, converted to the precision (graphs/precision.ts).
    const transB = this.opts.backend.name === 'cpu' || this.opts.backend.name === 'wasm';
    const gopts = { format: liveFormat(precision, { f16, transB }), vocabChunk: this.opts.vocabChunk };
    const total = 2 * spec.numLayers + 3;
    let done = 0;
    const apart = this.opts.weightsApart ?? false;
    const bytes = (b: GraphBuilder) => graphs.graphBytes(b, apart);
    const create = async (graph: GraphBytes, deviceOutputs: string[]): Promise<OrtSession> => {
      hook();
      const s = await this.createSession(graph, deviceOutputs, precision);
      onProgress?.({ stage: 'compile', done: ++done, total, unit: 'sublayers' });
      return s;
    };
    // x_0 is gathered in TypeScript from the table's rows (embed-rows.ts): no session holds the
    // embedding table, so a tied table lives only in the head.
    const sessions: PipelineSessions = {
      embed: null,
      embedIds: (ids, T) => embedRows(spec, weights, ids, T),
      sub: [],
      head: null as unknown as OrtSession,
      gram: null as unknown as OrtSession,
    };
    onProgress?.({ stage: 'compile', done: ++done, total, unit: 'sublayers' });
    try {
      for (let l = 0; l < spec.numLayers; l++) {
        sessions.sub.push(await create(bytes(graphs.attentionBuilder(spec, weights, l, gopts)), [graphs.IO.hiddenOut]));
        sessions.sub.push(await create(bytes(graphs.mlpBuilder(spec, weights, l, gopts)), [graphs.IO.hiddenOut]));
      }
      sessions.head = await create(bytes(graphs.headBuilder(spec, weights, gopts)), []);
      sessions.gram = await create({ model: graphs.gram(spec.numLayers + 1) }, []);
    } catch (e) {
      await releaseAll(sessions);
      throw e;
    }
    const info: ModelInfo = {
      source,
      name,
      spec,
      parameters: model.parameters,
      weightBytes: model.weightBytes,
      weights: precision,
      backend: this.opts.backend,
    };
    const eos = tokenizer.eosTokenId ?? spec.eosTokenId ?? 0;
    const prefix = tokenizer.specialPrefix();
    const tasks = new TaskScorer(
      {
        numLayers: spec.numLayers,
        hiddenSize: spec.hiddenSize,
        window: spec.maxPositions,
        tokenizer: { encode: (t) => tokenizer.encode(t), prefix, prefixToken: prefix[0] ?? eos },
        pipeline: () => new Pipeline(this.opts.ort, sessions, spec.numLayers),
        pad: eos,
      },
      this.opts.taskBatches,
    );
    this.loaded = {
      info,
      files,
      model,
      tokenizer,
      sessions,
      pipeline: new Pipeline(this.opts.ort, sessions, spec.numLayers),
      tasks,
    };
    return info; // the text must be set again for the new tokenizer (unload() dropped it)
  }

  /** Model config.json as read (for the export). */
  get config(): Record<string, unknown> | null {
    return this.loaded?.model.config ?? null;
  }

  get model(): LoadedModel | null {
    return this.loaded?.model ?? null;
  }

  get tokenizer(): Tokenizer | null {
    return this.loaded?.tokenizer ?? null;
  }

  setText(text: string | string[], settings: DataSettings): Promise<DataInfo> {
    return this.serial(async () => this.applyText(Array.isArray(text) ? text : splitDocuments(text), settings));
  }

  /** Tokenize the documents into windows for the loaded model (setText, and a model loaded again). */
  private applyText(docs: readonly string[], settings: DataSettings): DataInfo {
    const m = this.need();
    const eos = m.tokenizer.eosTokenId ?? m.info.spec.eosTokenId;
    const maxLen = m.info.spec.maxPositions;
    if (settings.seqLen > maxLen)
      throw new SettingsError(
        `Window length ${settings.seqLen} is longer than this model's ${maxLen} positions; choose ${maxLen} or less.`,
      );
    const w = buildWindows(docs, (s) => m.tokenizer.encode(s), eos, settings.seqLen, settings.windows);
    const info: DataInfo = {
      seqLen: w.seqLen,
      windows: w.windows,
      textTokens: w.textTokens,
      availableWindows: w.availableWindows,
      predictedTokens: w.windows * (w.seqLen - 1),
      ...(w.estimated ? { textTokensEstimated: true as const } : {}),
    };
    const batches = windowBatches(w.windows, this.opts.batchWindows ?? 8, this.opts.batchSchedule ?? 'first-one');
    m.pipeline.setWindows(w.ids, w.windows, w.seqLen, batches);
    this.memo.clear();
    this.data = { info, windowIds: w.ids, docs, settings };
    return info;
  }

  /** The weight precision of the next loadModel (undefined: the most precise that fits). */
  setWeightPrecision(p: WeightPrecision | undefined): void {
    this.opts.weights = p;
  }

  evaluate(drop: DropConfig, onProgress?: ProgressFn): Promise<EvalResult> {
    return this.evaluateTokens(drop, onProgress).then(({ nll: _, ...r }) => r);
  }

  /** evaluate() plus the per-token NLL [windows * (seqLen-1)] (Node callers: tests, CLI, benchmarks). */
  evaluateTokens(drop: DropConfig, onProgress?: ProgressFn): Promise<EvalResult & { nll: Float32Array }> {
    return this.serial(async (hook) => {
      const { pipeline, spec } = this.needData();
      const d = normalizeDrop(drop, spec.numLayers);
      const flags = dropFlags(d, spec.numLayers);
      const total = pipeline.pendingRuns(flags) + pipeline.batches;
      // Once a batch has finished, every later report carries the estimate so far (the page shows it),
      // paired with the nearest earlier result on these windows when there is one (nll-estimate.ts).
      const ref = this.nearestResult(d);
      let done = 0;
      let estimate: NllEstimate | undefined;
      const report = (p: Progress) => onProgress?.(estimate ? { ...p, estimate } : p);
      const tick = this.progress(
        hook,
        (p) => {
          done = p.done;
          report(p);
        },
        'evaluate',
        total,
      );
      const r =
        this.memo.get(key(d)) ??
        (await pipeline.nll(flags, tick, (sofar, windows) => {
          if (windows >= pipeline.windowCount) return;
          const of = pipeline.windowCount;
          estimate = ref ? pairedNllEstimate(sofar, windows, of, ref.nll, ref.drop) : nllEstimate(sofar, windows, of);
          report({ stage: 'evaluate', done: done + 1, total, unit: 'sublayers' });
        }));
      this.memo.set(key(d), r);
      this.checkFinite(d, flags, r.sum);
      return { ...this.evalResult(d, r.sum, r.count), nll: r.tokens };
    });
  }

  /**
   * The remembered result on the current windows closest to `d` (fewest sublayers apart; the latest of
   * equals), to pair a progressive estimate with; null when none is remembered.
   */
  private nearestResult(d: DropConfig): { drop: DropConfig; nll: NllSum } | null {
    let best: { drop: DropConfig; nll: NllSum; dist: number } | null = null;
    for (const [k, nll] of this.memo) {
      const drop = parseKey(k);
      const dist = dropDistance(d, drop);
      if (dist > 0 && (!best || dist <= best.dist)) best = { drop, nll, dist };
    }
    return best && { drop: best.drop, nll: best.nll };
  }

  /** The windows in use, ids [windows * seqLen] (for tests and the export checks). */
  get windowIds(): Int32Array | null {
    return this.data?.windowIds ?? null;
  }

  analyze(drop: DropConfig, onProgress?: ProgressFn): Promise<AnalysisResult> {
    return this.serial(async (hook) => this.analyzeNow(drop, hook, onProgress));
  }

  dropOne(base: DropConfig, onProgress?: ProgressFn): Promise<DropOneResult> {
    return this.serial(async (hook) => {
      const { pipeline, spec } = this.needData();
      const d = normalizeDrop(base, spec.numLayers);
      const flags = dropFlags(d, spec.numLayers);
      const L = spec.numLayers;
      const kept = flags.map((f, s) => (f ? -1 : s)).filter((s) => s >= 0);
      const total =
        pipeline.pendingRuns(flags) + 1 + kept.reduce((n, s) => n + flags.slice(s + 1).filter((f) => !f).length + 1, 0);
      const h = this.progress(hook, onProgress, 'drop-one', total);
      const base0 = await pipeline.nll(flags, h);
      this.memo.set(key(d), base0);
      this.checkFinite(d, flags, base0.sum);
      const baseNll = base0.sum / base0.count;
      const res: DropOneResult = { base: d, baseNll, attn: new Array(L).fill(null), mlp: new Array(L).fill(null) };
      for (const s of kept) {
        const { kind, layer } = sublayerOf(s);
        const next = withDropped(d, kind, layer);
        const r = this.memo.get(key(next)) ?? (await pipeline.nllWithout(flags, s, h));
        this.memo.set(key(next), r);
        res[kind][layer] = r.sum / r.count - baseNll;
      }
      return res;
    });
  }

  plan(req: PlanRequest, onProgress?: ProgressFn): Promise<PlanResult> {
    return this.serial(async (hook) => {
      const { spec } = this.needData();
      const base = normalizeDrop(req.base ?? { attn: [], mlp: [] }, spec.numLayers);
      let round = 0;
      const rounds = req.iterative ? req.n : 1;
      return planDrops({ ...req, base }, async (drop) => {
        round++;
        const sub: ProgressFn | undefined =
          onProgress && ((p) => onProgress({ ...p, stage: `plan ${round}/${rounds}` }));
        return (await this.analyzeNow(drop, hook, sub)).importance;
      });
    });
  }

  tokenDelta(kind: 'attn' | 'mlp', layer: number, drop: DropConfig): Promise<TokenDelta> {
    return this.serial(async (hook) => {
      const { pipeline, spec, tokenizer } = this.needData();
      const d = normalizeDrop(drop, spec.numLayers);
      normalizeDrop({ attn: kind === 'attn' ? [layer] : [], mlp: kind === 'mlp' ? [layer] : [] }, spec.numLayers);
      const flags = dropFlags(d, spec.numLayers);
      const cos = await pipeline.sublayerTokenCos(flags, sublayerIndex(kind, layer), this.counting(hook));
      const T = pipeline.shape.seqLen;
      const ids = Array.from(this.data?.windowIds.subarray(0, T) ?? []);
      // Windows are consecutive in the text: window 1's first ids finish a character cut at window 0's end.
      const next = Array.from(this.data?.windowIds.subarray(T, T + 3) ?? []);
      return { kind, layer, tokens: tokenizer.tokenStrings(ids, next), delta: Array.from(cos, (c) => 1 - c) };
    });
  }

  /** See EngineApi.scoreTask. A TaskSpec is read (Hub parquet or a JSONL URL) once and kept (the last 4). */
  scoreTask(
    task: TaskSpec | TaskItems,
    drop: DropConfig,
    opts: TaskOptions = {},
    onProgress?: ProgressFn,
  ): Promise<TaskResult> {
    return this.serial(async (hook) => {
      const m = this.need();
      const items = 'items' in task ? task : await this.readTask(task);
      hook();
      return m.tasks.score(items, drop, opts, this.counting(hook), onProgress);
    });
  }

  private readonly taskFiles = new Map<string, TaskItems>();

  private async readTask(spec: TaskSpec): Promise<TaskItems> {
    const k = JSON.stringify(spec);
    const hit = this.taskFiles.get(k);
    if (hit) return hit;
    const items = await loadTaskSpec(spec, this.opts.datasets);
    if (this.taskFiles.size >= 4) this.taskFiles.delete(this.taskFiles.keys().next().value as string);
    this.taskFiles.set(k, items);
    return items;
  }

  // ---------------------------------------------------------------------------------------------

  private async analyzeNow(drop: DropConfig, hook: () => void, onProgress?: ProgressFn): Promise<AnalysisResult> {
    const { pipeline, spec } = this.needData();
    const L = spec.numLayers;
    const d = normalizeDrop(drop, L);
    const flags = dropFlags(d, L);
    const h = this.progress(hook, onProgress, 'analyze', pipeline.pendingRuns(flags) + 2 * pipeline.batches);
    const sums = await pipeline.analysisSums(flags, h);
    const gram = await pipeline.gram(flags, blockBoundaries(L), h);
    const nll = this.memo.get(key(d)) ?? (await pipeline.nll(flags, h));
    this.memo.set(key(d), nll);
    this.checkFinite(d, flags, nll.sum);
    const blocks = blockMetrics(L, gram, sums.tokens, (l) => flags[2 * l] && flags[2 * l + 1]);
    return {
      drop: d,
      importance: { ...sublayerImportance(sums, L), block: blocks.block },
      similarity: blocks.similarity,
      angular: blocks.angular,
      eval: this.evalResult(d, nll.sum, nll.count),
    };
  }

  /**
   * NonFiniteError when an evaluation's summed NLL is NaN or infinite (weights are checked at load, so
   * this is float32 overflow in the activations), naming the first sublayer whose output is not finite.
   */
  private checkFinite(drop: DropConfig, flags: readonly boolean[], sum: number): void {
    if (Number.isFinite(sum)) return;
    const s = this.loaded?.pipeline.firstNonFinite(flags) ?? null;
    const where =
      s === null
        ? 'the hidden states stay finite up to the LM head, so the logits overflow'
        : `the hidden state first becomes NaN or infinite after ${sublayerOf(s).kind === 'attn' ? 'attention' : 'MLP'} ${sublayerOf(s).layer} (layer ${sublayerOf(s).layer})`;
    const dropped =
      drop.attn.length + drop.mlp.length
        ? ` with attention [${drop.attn.join(', ')}] and MLP [${drop.mlp.join(', ')}] dropped`
        : '';
    throw new NonFiniteError(
      `The model's loss is ${Number.isNaN(sum) ? 'NaN' : 'infinite'}${dropped}, so there is no perplexity to report: ${where}. The weights are finite but too large for float32 arithmetic on this text.`,
      { sublayer: s === null ? null : sublayerOf(s), drop },
    );
  }

  private evalResult(drop: DropConfig, sum: number, count: number): EvalResult {
    const meanNll = sum / count;
    const { seqLen, windows } = this.data?.info ?? { seqLen: 0, windows: 0 };
    return { drop, meanNll, perplexity: Math.exp(meanNll), tokens: count, seqLen, windows };
  }

  private need(): Loaded {
    if (!this.loaded) throw new RuntimeError('No model is loaded yet: load a model first.');
    return this.loaded;
  }

  private needData(): { pipeline: Pipeline; spec: Loaded['info']['spec']; tokenizer: Tokenizer } {
    const m = this.need();
    if (!this.data || !m.pipeline.ready) throw new RuntimeError('No evaluation text is set yet: choose a text first.');
    return { pipeline: m.pipeline, spec: m.info.spec, tokenizer: m.tokenizer };
  }

  private async createSession(
    graph: GraphBytes,
    deviceOutputs: string[],
    precision: WeightPrecision = 'fp32',
  ): Promise<OrtSession> {
    const p = precisionSessionOptions(precision);
    const user = this.opts.sessionOptions ?? {};
    const o: OrtSessionOptions = {
      executionProviders: this.opts.executionProviders,
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...p,
      ...user,
    };
    if (p.extra || user.extra) o.extra = { ...(p.extra as object), ...(user.extra as object) };
    if (this.opts.backend.keepOnDevice && deviceOutputs.length)
      o.preferredOutputLocation = Object.fromEntries(deviceOutputs.map((n) => [n, 'gpu-buffer']));
    if (graph.externalData?.length) o.externalData = graph.externalData;
    return this.opts.ort.InferenceSession.create(graph.model, o);
  }

  private async unload(): Promise<void> {
    const m = this.loaded;
    this.loaded = null;
    this.data = null;
    this.memo.clear();
    if (!m) return;
    m.pipeline.clear();
    m.tasks.clear();
    await releaseAll(m.sessions);
  }

  private counting(hook: () => void): () => void {
    return () => {
      hook();
      this.runs++;
    };
  }

  private progress(hook: () => void, onProgress: ProgressFn | undefined, stage: string, total: number): () => void {
    let done = 0;
    return () => {
      hook();
      this.runs++;
      onProgress?.({ stage, done: done++, total, unit: 'sublayers' });
    };
  }

  /** Run `fn` after every earlier call; its hook throws CancelledError once cancel() was called. */
  private serial<T>(fn: (hook: () => void) => Promise<T>): Promise<T> {
    const gen = this.generation;
    const hook = () => {
      if (this.generation !== gen) throw new CancelledError('Cancelled.');
    };
    const run = async () => {
      hook();
      try {
        return await fn(hook);
      } catch (e) {
        if (e instanceof RangeError) throw new SettingsError(e.message);
        throw e instanceof DropLabError ? e : asDropLabError(e);
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }
}

/**
 * A failure to allocate while a model's sessions are built (onnxruntime's CPU or wasm allocator, the wasm
 * memory's growth, a JavaScript buffer) as a ModelTooLargeError that says so and what to do; null for others.
 */
function outOfMemory(e: unknown, precision: WeightPrecision): ModelTooLargeError | null {
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof DropLabError || !OUT_OF_MEMORY.test(msg)) return null;
  const lower =
    precision === 'fp32' ? 'fp16, q8 or q4' : precision === 'fp16' ? 'q8 or q4' : precision === 'q8' ? 'q4' : null;
  return new ModelTooLargeError(
    `Ran out of memory while building the model's graphs at ${precision} (${msg.trim().slice(0, 200)}). ${lower ? `Choose a lower weight precision (${lower}), ` : 'Choose '}a smaller model, or fewer windows; or analyse it with the CLI on a larger machine and import the results.`,
    { precision, cause: msg.slice(0, 500) },
  );
}

const OUT_OF_MEMORY =
  /out of memory|bad_alloc|failed to allocate|allocation failed|cannot allocate memory|could not allocate|maximum memory size exceeded/i;

const key = (d: DropConfig): string => `${d.attn.join(',')}|${d.mlp.join(',')}`;
const parseKey = (k: string): DropConfig => {
  const [a, m] = k.split('|').map((p) => (p ? p.split(',').map(Number) : []));
  return { attn: a, mlp: m };
};

async function releaseAll(s: PipelineSessions): Promise<void> {
  const all = [s.embed, ...s.sub, s.head, s.gram].filter((x): x is OrtSession => !!x);
  await Promise.all(all.map((x) => x.release().catch(() => undefined)));
}
