/**
 * The workbench store: zustand slices, plain data and synchronous transitions only (no React, no engine
 * calls; src/state/controller.ts drives the engine and writes results here).
 *
 *   model    what is loaded or loading, its progress, size estimate and errors; the backend in use
 *   data     the evaluation text choice, window settings and the engine's DataInfo
 *   drops    the current drop configuration with undo/redo history (change records, before/after)
 *   results  engine results for the current context (model + text + windows), keyed by dropKey
 *   ui       heatmap metric, link errors and notices, view options
 *   saved    the saved-experiment list (IndexedDB, src/state/saved.ts)
 *   experiment  writes that span slices (an experiment applied, a model switched, the backend lost)
 *   imported  results computed elsewhere, shown without their model's weights (imported.ts)
 *
 * Extension: a new feature adds its own slice (a `create…Slice` function below and a field in
 * WorkbenchState), and its own controller methods; views select from the store with useWorkbench().
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  AnalysisResult,
  BackendReport,
  DataInfo,
  DropConfig,
  DropOneResult,
  EvalResult,
  LoadProgress,
  ModelEstimate,
  ModelInfo,
  ModelSource,
  Progress,
  WeightPrecision,
} from '../engine/api';
import type { DropLabError } from '../engine/errors';
import { NO_DROPS, dropKey, sortedDrops, sameDrops } from './drops';
import type { MetricView, TextChoice } from './share-link';
import { type ClassroomSlice, createClassroomSlice } from './classroom';
import { createCurvesSlice, type CurvesSlice } from './curves';
import { createTokenViewSlice, type TokenViewSlice } from './token-view';
import { createImportedSlice, type ImportedSlice } from './imported';
import { createTasksSlice, type TaskChoice, type TasksSlice } from './tasks';
import type { SharedResults } from './share-results';

/** An error as the UI shows it. */
export interface UiError {
  code: string;
  name: string;
  message: string;
}

export function uiError(e: unknown): UiError {
  const d = e as Partial<DropLabError> | undefined;
  if (d && typeof d === 'object' && typeof d.message === 'string') {
    return { code: typeof d.code === 'string' ? d.code : 'RUNTIME', name: d.name ?? 'Error', message: d.message };
  }
  return { code: 'RUNTIME', name: 'Error', message: String(e) };
}

// ---------------------------------------------------------------------------------------------------

export type BackendStatus =
  | { state: 'probing' }
  | { state: 'ready'; report: BackendReport }
  | { state: 'error'; error: UiError };

export type ModelStatus = 'idle' | 'inspecting' | 'loading' | 'ready' | 'error';

export interface ModelSlice {
  backend: BackendStatus;
  model: {
    source: ModelSource | null;
    status: ModelStatus;
    progress: LoadProgress | null;
    estimate: ModelEstimate | null;
    info: ModelInfo | null;
    fromCache: boolean;
    error: UiError | null;
    /** Bumped on each successful load: results of an older load are stale. */
    generation: number;
  };
  setBackend(b: BackendStatus): void;
  modelInspecting(source: ModelSource): void;
  modelEstimated(estimate: ModelEstimate): void;
  modelProgress(p: LoadProgress): void;
  modelLoaded(info: ModelInfo, fromCache: boolean): void;
  modelFailed(error: UiError): void;
  /** A link's Hub model was not downloaded ("Not now"): the panel goes back to the model loaded, if any. */
  modelDeclined(): void;
}

export interface BundledText {
  id: string;
  title: string;
  file: string;
  documents: number;
  bytes: number;
  source: string;
  licence: string;
}

export interface DataSlice {
  data: {
    text: TextChoice;
    seqLen: number;
    windows: number;
    info: DataInfo | null;
    status: 'idle' | 'tokenizing' | 'ready' | 'error';
    error: UiError | null;
    bundledTexts: BundledText[];
  };
  setBundledTexts(list: BundledText[]): void;
  setTextChoice(text: TextChoice): void;
  setWindowSettings(s: { seqLen?: number; windows?: number }): void;
  dataTokenizing(): void;
  dataReady(info: DataInfo): void;
  dataFailed(error: UiError): void;
}

export const HISTORY_LIMIT = 200;

/**
 * One undoable change of the drops, as an action record (as excalidraw's history entries record what
 * changed rather than a snapshot): redoing it sets `after`, undoing it sets `before`.
 */
export interface DropsChange {
  before: DropConfig;
  after: DropConfig;
}

export interface DropsSlice {
  /** `past`: the changes applied, oldest first; `future`: the changes undone, the next redo first. */
  drops: { current: DropConfig; past: DropsChange[]; future: DropsChange[] };
  /** Replace the drop configuration, recording the change for undo; returns it (null when equal: no-op). */
  setDrops(d: DropConfig): DropsChange | null;
  /** Undo the last change; returns it (null when there is none). */
  undo(): DropsChange | null;
  /** Redo the last change undone; returns it (null when there is none). */
  redo(): DropsChange | null;
  /** Set drops and forget the history (a newly loaded model or experiment). */
  resetDrops(d?: DropConfig): void;
}

export type TaskName = 'evaluate' | 'analyze' | 'dropOne' | 'plan' | 'baseline' | 'scoreTask';

export interface ResultsSlice {
  results: {
    /** The context the results belong to (model generation, text, window settings). */
    context: string;
    evals: Record<string, EvalResult>;
    analyses: Record<string, AnalysisResult>;
    dropOnes: Record<string, DropOneResult>;
    task: { name: TaskName; progress: Progress | null } | null;
    error: UiError | null;
  };
  resetResults(context: string): void;
  putEval(context: string, r: EvalResult): void;
  putAnalysis(context: string, r: AnalysisResult): void;
  putDropOne(context: string, r: DropOneResult): void;
  setTask(task: { name: TaskName; progress: Progress | null } | null): void;
  setResultsError(e: UiError | null): void;
}

export interface Notice {
  kind: 'error' | 'info';
  title: string;
  message: string;
  /**
   * 'reload': offer to reload the page (on the same backend, or on wasm); the experiment is in the URL.
   * 'download': a link asks to download a Hub model's weights: offer to go ahead or not
   * (controller.confirmDownload).
   */
  action?: 'reload' | 'download';
}

export interface UiSlice {
  ui: {
    metric: MetricView;
    /** Colour scale of the sublayer heatmap (log applies when every value is positive). */
    colorScale: 'linear' | 'log';
    /** The weight precision asked for at the next model load (null: the most precise that fits). */
    weightChoice: WeightPrecision | null;
    notice: Notice | null;
    /** The experiment is applied (start-up restore finished): from then on the URL hash follows the store. */
    ready: boolean;
  };
  setMetric(m: MetricView): void;
  setColorScale(s: 'linear' | 'log'): void;
  setWeightChoice(p: WeightPrecision | null): void;
  setNotice(n: Notice | null): void;
  setReady(r: boolean): void;
}

export interface SavedExperiment {
  id: string;
  name: string;
  savedAt: number;
  /** The share-link hash (without '#'): one format for links and saved experiments. */
  hash: string;
  /** What the list shows. */
  summary: string;
}

export interface SavedSlice {
  saved: { list: SavedExperiment[] };
  setSaved(list: SavedExperiment[]): void;
}

/** Writes that span slices, each one store change (one URL write, one render). */
export interface ExperimentSlice {
  /** Apply a validated experiment at once: text, windows, drops (history forgotten) and metric. */
  applyExperiment(e: {
    text: TextChoice;
    seqLen: number;
    windows: number;
    drops: DropConfig;
    metric: MetricView;
    /** Results imported from elsewhere the experiment carries (absent: none). */
    imported?: SharedResults;
    /** The task scored beside perplexity (absent: none). */
    task?: TaskChoice;
  }): void;
  /** Another model was loaded: no drops (history forgotten), the window length cut to the model's maximum. */
  modelSwitched(maxPositions: number): void;
  /** The device or the engine is gone: the backend's error, nothing computing, no results error, the notice. */
  backendLost(error: UiError, notice: Notice): void;
}

export type WorkbenchState = ModelSlice &
  DataSlice &
  DropsSlice &
  ResultsSlice &
  UiSlice &
  SavedSlice &
  ExperimentSlice &
  // Views with engine calls of their own (src/state/lab-controller.ts drives them).
  CurvesSlice &
  TokenViewSlice &
  ClassroomSlice &
  // Task accuracy beside perplexity (src/state/tasks.ts; src/state/task-runner.ts drives it).
  TasksSlice &
  // Results computed elsewhere, shown without their model (src/state/imported.ts).
  ImportedSlice;
export type WorkbenchStore = StoreApi<WorkbenchState>;

type Set = StoreApi<WorkbenchState>['setState'];
type Get = StoreApi<WorkbenchState>['getState'];

// ---------------------------------------------------------------------------------------------------

export const DEFAULT_MODEL: ModelSource = { kind: 'bundled', name: 'droplab-byte-12l' };
export const DEFAULT_TEXT: TextChoice = { kind: 'bundled', id: 'moby-dick-heldout' };
export const DEFAULT_SEQ_LEN = 256;
export const DEFAULT_WINDOWS = 8;

const createModelSlice = (set: Set): ModelSlice => ({
  backend: { state: 'probing' },
  model: {
    source: null,
    status: 'idle',
    progress: null,
    estimate: null,
    info: null,
    fromCache: false,
    error: null,
    generation: 0,
  },
  setBackend: (backend) => set({ backend }),
  modelInspecting: (source) =>
    set((s) => ({ model: { ...s.model, source, status: 'inspecting', progress: null, estimate: null, error: null } })),
  modelEstimated: (estimate) => set((s) => ({ model: { ...s.model, estimate, status: 'loading' } })),
  modelProgress: (progress) => set((s) => ({ model: { ...s.model, progress } })),
  modelLoaded: (info, fromCache) =>
    set((s) => ({
      model: {
        ...s.model,
        source: info.source,
        status: 'ready',
        info,
        fromCache,
        progress: null,
        error: null,
        generation: s.model.generation + 1,
      },
    })),
  modelFailed: (error) => set((s) => ({ model: { ...s.model, status: 'error', error, progress: null } })),
  modelDeclined: () =>
    set((s) => ({
      model: {
        ...s.model,
        source: s.model.info?.source ?? null,
        status: s.model.info ? 'ready' : 'idle',
        estimate: null,
        progress: null,
        error: null,
      },
    })),
});

const createDataSlice = (set: Set): DataSlice => ({
  data: {
    text: DEFAULT_TEXT,
    seqLen: DEFAULT_SEQ_LEN,
    windows: DEFAULT_WINDOWS,
    info: null,
    status: 'idle',
    error: null,
    bundledTexts: [],
  },
  setBundledTexts: (bundledTexts) => set((s) => ({ data: { ...s.data, bundledTexts } })),
  setTextChoice: (text) => set((s) => ({ data: { ...s.data, text } })),
  setWindowSettings: ({ seqLen, windows }) =>
    set((s) => ({ data: { ...s.data, seqLen: seqLen ?? s.data.seqLen, windows: windows ?? s.data.windows } })),
  dataTokenizing: () => set((s) => ({ data: { ...s.data, status: 'tokenizing', error: null } })),
  dataReady: (info) => set((s) => ({ data: { ...s.data, status: 'ready', info, error: null } })),
  dataFailed: (error) => set((s) => ({ data: { ...s.data, status: 'error', error, info: null } })),
});

const createDropsSlice = (set: Set, get: Get): DropsSlice => ({
  drops: { current: NO_DROPS, past: [], future: [] },
  setDrops: (d) => {
    const after = sortedDrops(d);
    const { current: before, past } = get().drops;
    if (sameDrops(before, after)) return null;
    const change = { before, after };
    set({ drops: { current: after, past: [...past, change].slice(-HISTORY_LIMIT), future: [] } });
    return change;
  },
  undo: () => {
    const { past, future } = get().drops;
    const change = past[past.length - 1];
    if (!change) return null;
    set({ drops: { current: change.before, past: past.slice(0, -1), future: [change, ...future] } });
    return change;
  },
  redo: () => {
    const { past, future } = get().drops;
    const change = future[0];
    if (!change) return null;
    set({ drops: { current: change.after, past: [...past, change], future: future.slice(1) } });
    return change;
  },
  resetDrops: (d = NO_DROPS) => set({ drops: { current: sortedDrops(d), past: [], future: [] } }),
});

const createResultsSlice = (set: Set, get: Get): ResultsSlice => {
  // Results for another context (a previous model or text) are ignored: they arrive after a change.
  const put =
    <K extends 'evals' | 'analyses' | 'dropOnes'>(
      field: K,
      keyOf: (r: WorkbenchState['results'][K][string]) => string,
    ) =>
    (context: string, r: WorkbenchState['results'][K][string]) => {
      const results = get().results;
      if (results.context !== context) return;
      set({ results: { ...results, [field]: { ...results[field], [keyOf(r)]: r } } });
    };
  return {
    results: { context: '', evals: {}, analyses: {}, dropOnes: {}, task: null, error: null },
    resetResults: (context) =>
      set({ results: { context, evals: {}, analyses: {}, dropOnes: {}, task: null, error: null } }),
    putEval: put('evals', (r) => dropKey((r as EvalResult).drop)),
    putAnalysis: put('analyses', (r) => dropKey((r as AnalysisResult).drop)),
    putDropOne: put('dropOnes', (r) => dropKey((r as DropOneResult).base)),
    setTask: (task) => set((s) => ({ results: { ...s.results, task } })),
    setResultsError: (error) => set((s) => ({ results: { ...s.results, error } })),
  };
};

const createUiSlice = (set: Set): UiSlice => ({
  ui: { metric: 'cosine', colorScale: 'log', weightChoice: null, notice: null, ready: false },
  setMetric: (metric) => set((s) => ({ ui: { ...s.ui, metric } })),
  setColorScale: (colorScale) => set((s) => ({ ui: { ...s.ui, colorScale } })),
  setWeightChoice: (weightChoice) => set((s) => ({ ui: { ...s.ui, weightChoice } })),
  setNotice: (notice) => set((s) => ({ ui: { ...s.ui, notice } })),
  setReady: (ready) => set((s) => ({ ui: { ...s.ui, ready } })),
});

const createSavedSlice = (set: Set): SavedSlice => ({
  saved: { list: [] },
  setSaved: (list) => set({ saved: { list } }),
});

const createExperimentSlice = (set: Set): ExperimentSlice => ({
  applyExperiment: (e) =>
    set((s) => ({
      data: { ...s.data, text: e.text, seqLen: e.seqLen, windows: e.windows },
      drops: { current: e.drops, past: [], future: [] },
      ui: { ...s.ui, metric: e.metric },
      imported: { shown: e.imported ?? null, error: null },
      tasks: { ...s.tasks, choice: e.task ?? null, item: null, job: { ...s.tasks.job, error: null } },
    })),
  modelSwitched: (maxPositions) =>
    set((s) => ({
      drops: { current: NO_DROPS, past: [], future: [] },
      data: { ...s.data, seqLen: Math.min(s.data.seqLen, maxPositions) },
    })),
  backendLost: (error, notice) =>
    set((s) => ({
      backend: { state: 'error', error },
      // A run cut short by the loss fails with the runtime's own words: the notice says it.
      results: { ...s.results, error: null, task: null },
      ui: { ...s.ui, notice },
    })),
});

export function createWorkbenchStore(): WorkbenchStore {
  return createStore<WorkbenchState>()((set, get) => ({
    ...createModelSlice(set),
    ...createDataSlice(set),
    ...createDropsSlice(set, get),
    ...createResultsSlice(set, get),
    ...createUiSlice(set),
    ...createSavedSlice(set),
    ...createExperimentSlice(set),
    ...createCurvesSlice<WorkbenchState>(set),
    ...createTokenViewSlice<WorkbenchState>(set),
    ...createClassroomSlice<WorkbenchState>(set),
    ...createImportedSlice<WorkbenchState>(set),
    ...createTasksSlice<WorkbenchState>(set),
  }));
}

// ---------------------------------------------------------------------------------------------------
// Derived values (pure selectors).

/** The result context: results computed under another one are never shown. */
export function contextKey(s: Pick<WorkbenchState, 'model' | 'data'>): string {
  const m = s.model.info;
  if (!m || !s.data.info) return '';
  const t = s.data.text;
  const text = t.kind === 'bundled' ? `b:${t.id}` : `${t.kind}:${t.text.length}:${hashString(t.text)}`;
  return `g${s.model.generation}|${text}|L${s.data.info.seqLen}|n${s.data.info.windows}`;
}

/** FNV-1a, enough to tell two texts apart in a cache key. */
export function hashString(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

export function currentEval(s: WorkbenchState): EvalResult | null {
  return s.results.evals[dropKey(s.drops.current)] ?? null;
}

export function baselineEval(s: WorkbenchState): EvalResult | null {
  return s.results.evals[dropKey(NO_DROPS)] ?? null;
}

/** The analysis of the current configuration, else the most recent one (stale: true). */
export function shownAnalysis(s: WorkbenchState): { analysis: AnalysisResult; stale: boolean } | null {
  const exact = s.results.analyses[dropKey(s.drops.current)];
  if (exact) return { analysis: exact, stale: false };
  const all = Object.values(s.results.analyses);
  return all.length ? { analysis: all[all.length - 1], stale: true } : null;
}

export function currentDropOne(s: WorkbenchState): DropOneResult | null {
  return s.results.dropOnes[dropKey(s.drops.current)] ?? null;
}

/**
 * The evaluation of `base` plus one more dropped sublayer, from a drop-one result for `base`
 * (NLL(base ∪ {s}) = baseNll + ΔNLL(s)), so that a toggle shows its perplexity at once.
 */
export function evalFromDropOne(
  r: DropOneResult,
  kind: 'attn' | 'mlp',
  layer: number,
  like: EvalResult,
): EvalResult | null {
  const delta = r[kind][layer];
  if (delta === null || delta === undefined || !Number.isFinite(delta)) return null;
  const drop = sortedDrops({ ...r.base, [kind]: [...r.base[kind], layer] });
  const meanNll = r.baseNll + delta;
  return {
    drop,
    meanNll,
    perplexity: Math.exp(meanNll),
    tokens: like.tokens,
    seqLen: like.seqLen,
    windows: like.windows,
  };
}
