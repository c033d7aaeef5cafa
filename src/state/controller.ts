/**
 * The workbench controller: drives the engine (through an EngineClient, i.e. the worker) from user
 * intents and writes results into the store. No React here; the views call these methods and read the
 * store.
 *
 * Engine calls run one at a time on a queue. After any change of model, text, windows or drops, a
 * refresh pipeline computes, for the current configuration and in this order, whatever is not cached
 * yet: the baseline (analysis of the full model), the current perplexity, the analysis of the current
 * configuration (heatmaps), and the drop-one results (dNLL of every further drop). A newer change
 * cancels the pipeline in flight (engine.cancel()) and starts a new one. Because drop-one results give
 * the perplexity of every single further drop, a toggle from a configuration whose drop-one results are
 * known shows its perplexity at once.
 *
 * Start-up: the experiment in the URL hash, else the autosaved one, else the default (bundled model).
 * A link is validated completely (syntax, text id, layer indices against the model's config, read
 * before any weight is downloaded) before anything of it is applied; a refused link leaves the
 * workbench as it was (or on the default experiment) with the reason shown.
 */
import type { DataInfo, DropConfig, ModelSource, PlanRequest, PlanResult, Progress } from '../engine/api';
import { ShareLinkError } from '../engine/errors';
import type { InspectResult, LocalFile, ModelInput, WorkerInit } from '../../workers/protocol';
import type { EngineClient } from './engine-client';
import { NO_DROPS, describeDrops, dropKey, singleAddedDrop, toggleBlock, toggleDrop, type SublayerKind } from './drops';
import type { SavedExperimentsDb } from './saved';
import { addPerplexity, newExperimentId } from './saved';
import {
  type Experiment,
  type MetricView,
  type TextChoice,
  checkExperimentAgainstModel,
  decodeExperiment,
  encodeExperiment,
  isEmptyHash,
  linkSafeName,
  MAX_TEXT_BYTES,
  SEQ_LEN_RANGE,
  WINDOWS_RANGE,
} from './share-link';
import {
  type BundledText,
  contextKey,
  DEFAULT_MODEL,
  DEFAULT_SEQ_LEN,
  DEFAULT_TEXT,
  DEFAULT_WINDOWS,
  evalFromDropOne,
  type TaskName,
  uiError,
  type WorkbenchStore,
} from './store';

/** Where the URL hash lives (window.location + history in the app; a variable in tests). */
export interface HashPort {
  get(): string;
  /** Replace the hash without a new history entry. */
  replace(hash: string): void;
  /** Calls back when the person changes the hash (pasting a link); returns an unsubscribe. */
  onChange(cb: (hash: string) => void): () => void;
}

export interface ControllerDeps {
  store: WorkbenchStore;
  engine: EngineClient;
  init: WorkerInit;
  /** Fetches a file under public/ (e.g. 'data/manifest.json') as text. */
  fetchText(path: string): Promise<string>;
  hash: HashPort;
  /** Saved experiments; null when IndexedDB is unavailable (private windows of some browsers). */
  saved: SavedExperimentsDb | null;
  /** Debounce of hash and autosave writes, ms (default 250). */
  writeDelayMs?: number;
}

function isCancelled(e: unknown): boolean {
  return !!e && typeof e === 'object' && (e as { code?: unknown }).code === 'CANCELLED';
}

export function inputFor(source: ModelSource, localFiles?: LocalFile[]): ModelInput {
  if (source.kind === 'bundled') return { kind: 'bundled', name: source.name };
  if (source.kind === 'hub')
    return source.revision ? { kind: 'hub', id: source.id, revision: source.revision } : { kind: 'hub', id: source.id };
  return { kind: 'local', name: source.name, files: localFiles ?? [] };
}

function sameSource(a: ModelSource | null | undefined, b: ModelSource): boolean {
  if (!a || a.kind !== b.kind) return false;
  if (a.kind === 'hub' && b.kind === 'hub') return a.id === b.id && (a.revision ?? 'main') === (b.revision ?? 'main');
  if (a.kind === 'local' && b.kind === 'local') return linkSafeName(a.name) === linkSafeName(b.name); // a link holds the safe form
  return (a as { name: string }).name === (b as { name: string }).name;
}

export function sourceLabel(s: ModelSource): string {
  if (s.kind === 'bundled') return `${s.name} (bundled)`;
  if (s.kind === 'hub') return s.revision && s.revision !== 'main' ? `${s.id}@${s.revision}` : s.id;
  return `${s.name} (local folder)`;
}

function parseManifest(text: string): BundledText[] {
  const m = JSON.parse(text) as { texts?: unknown };
  if (!Array.isArray(m.texts)) return [];
  return m.texts.filter(
    (t): t is BundledText =>
      !!t &&
      typeof t === 'object' &&
      typeof t.id === 'string' &&
      typeof t.file === 'string' &&
      /^[\w.-]+$/.test(t.file),
  );
}

export class WorkbenchController {
  private readonly store: WorkbenchStore;
  private readonly engine: EngineClient;
  private readonly deps: ControllerDeps;
  private queue: Promise<unknown> = Promise.resolve();
  /** Bumped by every change that makes the pipeline in flight useless. */
  private gen = 0;
  /** The kind of the engine call in flight, if any: only analysis work is cancelled by a new change. */
  private inFlight: TaskName | 'load' | 'text' | null = null;
  private texts = new Map<string, string>();
  private pendingLocal: Experiment | null = null;
  /** Resolves the pending "download this Hub model?" question of a link (askDownload). */
  private downloadAnswer: ((yes: boolean) => void) | null = null;
  private lastWrittenHash: string | null = null;
  private pendingHash: string | null = null;
  private writeTimer: ReturnType<typeof setTimeout> | null = null;
  /** The experiment's hash as of the last store change that altered it (see onStoreChange). */
  private wantedHash: string | null = null;
  /** When writeNow last changed the hash (Date.now()); writes are at least writeDelayMs apart. */
  private lastWriteAt = 0;
  private unsubscribers: (() => void)[] = [];
  private stopped = false;

  constructor(deps: ControllerDeps) {
    this.deps = deps;
    this.store = deps.store;
    this.engine = deps.engine;
  }

  /** The Hugging Face Hub base URL in use. */
  get hubEndpoint(): string {
    return this.deps.init.hubEndpoint;
  }

  private get s() {
    return this.store.getState();
  }

  // -------------------------------------------------------------------------------------------------
  // Start-up and the URL hash.

  async start(): Promise<void> {
    // Links pasted while starting are opened once the start-up experiment is in place.
    this.unsubscribers.push(this.deps.hash.onChange((h) => this.onHashChange(h)));
    const backend = this.engine
      .init(this.deps.init, (message, cause) => this.deviceLost(message, cause))
      .then(
        (report) => this.s.setBackend({ state: 'ready', report }),
        (e) => {
          this.s.setBackend({ state: 'error', error: uiError(e) });
          throw e;
        },
      );
    const manifest = this.deps
      .fetchText('data/manifest.json')
      .then((t) => this.s.setBundledTexts(parseManifest(t)))
      .catch(() => this.s.setBundledTexts([]));
    const savedList = this.refreshSaved();
    // Saved or deleted in another tab: show the list as it is now.
    const off = this.deps.saved?.onChange?.(() => void this.refreshSaved());
    if (off) this.unsubscribers.push(off);
    try {
      await backend;
    } catch {
      return; // the badge shows why; nothing can run
    }
    await manifest;
    await savedList;

    const hash = this.deps.hash.get();
    let first: Experiment | null = null;
    let autosavedLocal: Experiment | null = null;
    if (!isEmptyHash(hash)) {
      try {
        first = decodeExperiment(hash);
      } catch (e) {
        this.linkRefused(e);
      }
    } else if (this.deps.saved) {
      const auto = await this.deps.saved.getAutosave().catch(() => null);
      if (auto) {
        try {
          first = decodeExperiment(auto);
          if (first.model.kind === 'local') {
            autosavedLocal = first; // a local folder cannot be reopened unasked: ask for it below
            first = null;
          }
        } catch {
          first = null;
        }
      }
    }
    let opened = false;
    if (first) opened = await this.openExperiment(first, 'link');
    if (!opened && !this.pendingLocal) await this.openExperiment(this.defaultExperiment(), 'default');
    if (autosavedLocal && autosavedLocal.model.kind === 'local' && !this.pendingLocal) {
      // The last experiment used a local folder: say so, and picking that folder brings it back.
      this.pendingLocal = autosavedLocal;
      this.s.setNotice({
        kind: 'info',
        title: 'Pick the model folder',
        message: `Your last experiment used the local model folder "${autosavedLocal.model.name}". Choose that folder (Model → Local folder) to continue it with its drops and text; the bundled model is open meanwhile.`,
      });
    }
    this.s.setReady(true);
    this.unsubscribers.push(this.store.subscribe(() => this.onStoreChange()));
    const pending = this.pendingHash;
    this.pendingHash = null;
    if (pending !== null) this.onHashChange(pending);
    else this.scheduleWrite();
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribers) u();
    if (this.writeTimer) clearTimeout(this.writeTimer);
  }

  defaultExperiment(): Experiment {
    return {
      model: DEFAULT_MODEL,
      drops: NO_DROPS,
      text: DEFAULT_TEXT,
      seqLen: DEFAULT_SEQ_LEN,
      windows: DEFAULT_WINDOWS,
      metric: 'cosine',
    };
  }

  /** The experiment the workbench shows now, or null before a model is loaded. */
  currentExperiment(): Experiment | null {
    const s = this.s;
    const model = s.model.info?.source;
    if (!model) return null;
    const e: Experiment = {
      model,
      drops: s.drops.current,
      text: s.data.text,
      seqLen: s.data.seqLen,
      windows: s.data.windows,
      metric: s.ui.metric,
    };
    return s.classroom.on ? { ...e, classroom: true } : e;
  }

  currentHash(): string | null {
    const e = this.currentExperiment();
    if (!e) return null;
    try {
      return encodeExperiment(e);
    } catch {
      return null;
    }
  }

  /**
   * The URL and the autosave follow the experiment, not the store: progress, results and UI state change
   * the store many times a second while work runs in the background, and restarting a debounce on each of
   * those kept the address bar on the previous experiment for as long as the work ran (36 s during the
   * curves). Only a change of the experiment's own hash schedules a write.
   */
  private onStoreChange(): void {
    const hash = this.currentHash();
    if (hash === this.wantedHash) return;
    this.wantedHash = hash;
    this.scheduleWrite();
  }

  /**
   * Throttled, not debounced: a change after a quiet period is written at once (so a reload or a copy
   * right after a click keeps it), changes in quick succession at most once per writeDelayMs, and the
   * last one always, within writeDelayMs of it.
   */
  private scheduleWrite(): void {
    if (!this.s.ui.ready || this.stopped || this.writeTimer) return;
    const wait = this.lastWriteAt + (this.deps.writeDelayMs ?? 250) - Date.now();
    if (wait <= 0) {
      this.writeNow();
      return;
    }
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      this.writeNow();
    }, wait);
  }

  /** Write the hash and the autosave now (tests call it instead of waiting). */
  writeNow(): void {
    const hash = this.currentHash();
    if (!hash || hash === this.lastWrittenHash) return;
    this.lastWrittenHash = hash;
    this.lastWriteAt = Date.now();
    if (this.deps.hash.get().replace(/^#/, '') !== hash) this.deps.hash.replace(hash);
    this.deps.saved?.setAutosave(hash).catch(() => {});
  }

  private onHashChange(hash: string): void {
    const h = hash.replace(/^#/, '');
    if (!this.s.ui.ready) {
      this.pendingHash = h;
      return;
    }
    if (isEmptyHash(h) || h === this.lastWrittenHash) return;
    let e: Experiment;
    try {
      e = decodeExperiment(h);
    } catch (err) {
      this.linkRefused(err);
      return;
    }
    void this.openExperiment(e, 'link');
  }

  private linkRefused(e: unknown): void {
    const err = uiError(e);
    this.s.setNotice({
      kind: 'error',
      title: 'This link could not be opened',
      message: `${err.message} Nothing from it was applied.`,
    });
    this.restoreHash();
  }

  /**
   * Put the experiment on screen back in the address bar (after a refused link), so that "Copy share
   * link", a reload and a bookmark show what is on screen, not the refused link. Before any experiment is
   * open (a refused link on a first visit) there is nothing to restore: the default experiment's hash is
   * written once it is open.
   */
  private restoreHash(): void {
    const current = this.currentHash();
    if (current === null) return;
    if (this.deps.hash.get().replace(/^#/, '') !== current) this.deps.hash.replace(current);
    this.lastWrittenHash = current;
  }

  // -------------------------------------------------------------------------------------------------
  // Opening a complete experiment (link, saved experiment, default).

  /**
   * Validate everything, then apply everything; returns false (with the reason shown) if the experiment
   * was refused, in which case nothing of it was applied.
   */
  async openExperiment(e: Experiment, origin: 'link' | 'saved' | 'default'): Promise<boolean> {
    try {
      if (e.text.kind === 'bundled') {
        const id = e.text.id;
        const known = this.s.data.bundledTexts.some((t) => t.id === id);
        if (!known) throw new ShareLinkError(`The text "${id}" is not one of this DropLab's bundled texts.`);
      }
      const loaded = this.s.model.info;
      if (e.model.kind === 'local' && !sameSource(loaded?.source, e.model)) {
        this.pendingLocal = e;
        this.s.setNotice({
          kind: 'info',
          title: 'Pick the model folder',
          message: `This experiment uses the local model folder "${e.model.name}". Choose that folder (Model → Local folder) and it opens with its drops and text.`,
        });
        return false;
      }
      if (loaded && sameSource(loaded.source, e.model)) {
        checkExperimentAgainstModel(e, loaded.spec, sourceLabel(e.model));
      } else {
        const inspected = await this.inspect(inputFor(e.model));
        if (!inspected) return this.modelRefused(origin);
        checkExperimentAgainstModel(e, inspected.spec, sourceLabel(e.model));
        if (origin === 'link' && e.model.kind === 'hub' && !inspected.estimate.cached && inspected.estimate.fits) {
          // Only config.json (and the shard index) has been read: the weights wait for the person's word.
          if (!(await this.askDownload(e.model, inspected))) return this.downloadDeclined(e.model);
        }
        if (!(await this.loadModelNow(inputFor(e.model), inspected))) return this.modelRefused(origin);
      }
    } catch (err) {
      if (origin === 'default') this.s.modelFailed(uiError(err));
      else this.linkRefused(err);
      return false;
    }
    this.applyValidated(e);
    if (origin !== 'default' && this.s.ui.notice?.title === 'Pick the model folder') this.s.setNotice(null);
    return true;
  }

  /**
   * A link that names a Hub model opens with its config only. Before any weight is downloaded the page says
   * what would be downloaded (model, size, parameters) and waits for "Download and open" (true) or
   * "Not now" (false). A newer link, or a model picked meanwhile, answers "not now".
   */
  private askDownload(model: ModelSource & { kind: 'hub' }, inspected: InspectResult): Promise<boolean> {
    this.downloadAnswer?.(false);
    const e = inspected.estimate;
    const host = new URL(this.hubEndpoint).host;
    return new Promise<boolean>((resolve) => {
      this.downloadAnswer = resolve;
      this.s.setNotice({
        kind: 'info',
        title: 'This link downloads a model from the Hugging Face Hub',
        message:
          `It opens ${sourceLabel(model)}: ${formatBytes(e.storedBytes)} of weights (${e.parameters.toLocaleString('en-US')} parameters) ` +
          `to download from ${host}. Only its configuration has been read so far; nothing more is downloaded until you say so.`,
        action: 'download',
      });
    });
  }

  /** The answer to askDownload (the notice's buttons). */
  confirmDownload(yes: boolean): void {
    const answer = this.downloadAnswer;
    this.downloadAnswer = null;
    if (this.s.ui.notice?.action === 'download') this.s.setNotice(null);
    answer?.(yes);
  }

  /** "Not now": the model panel (unless another model was picked meanwhile) and the address bar go back to what is on screen. */
  private downloadDeclined(model: ModelSource): false {
    if (sameSource(this.s.model.source, model) && this.s.model.status === 'loading') {
      this.store.setState((s) => ({
        model: {
          ...s.model,
          source: s.model.info?.source ?? null,
          status: s.model.info ? 'ready' : 'idle',
          estimate: null,
          progress: null,
          error: null,
        },
      }));
    }
    this.restoreHash();
    return false;
  }

  private modelRefused(origin: 'link' | 'saved' | 'default'): false {
    const err = this.s.model.error;
    if (origin !== 'default' && err) this.linkRefused(err);
    return false;
  }

  /** Apply an experiment that passed validation against the loaded model, all at once. */
  private applyValidated(e: Experiment): void {
    this.store.setState((s) => ({
      data: { ...s.data, text: e.text, seqLen: e.seqLen, windows: e.windows },
      drops: { current: e.drops, past: [], future: [] },
      ui: { ...s.ui, metric: e.metric },
    }));
    if (e.classroom) this.s.setClassroom(true); // a link without it leaves the reader's own choice
    void this.applyText();
  }

  /**
   * The WebGPU device is gone (the worker said so, or a call failed with DeviceLostError), or the engine
   * worker itself died (cause 'engine': the page's watchdog, src/app/worker-watchdog.ts): every engine
   * call fails from now on. Say so once, with the way back; the experiment stays in the store and the URL.
   */
  deviceLost(message: string, cause: 'device' | 'engine' = 'device'): void {
    const b = this.s.backend;
    if (b.state === 'error' && (b.error.code === 'DEVICE_LOST' || b.error.code === 'ENGINE_STOPPED')) return;
    this.supersede();
    const engine = cause === 'engine';
    this.s.setBackend({
      state: 'error',
      error: engine
        ? { code: 'ENGINE_STOPPED', name: 'EngineStoppedError', message }
        : { code: 'DEVICE_LOST', name: 'DeviceLostError', message },
    });
    this.s.setResultsError(null); // a run cut short by the loss fails with the runtime's own words: the notice says it
    this.s.setTask(null); // nothing is computing any more
    this.s.setNotice({
      kind: 'error',
      title: engine ? 'The engine stopped' : 'The GPU device was lost',
      message,
      action: 'reload',
    });
  }

  // -------------------------------------------------------------------------------------------------
  // Models.

  private enqueue<T>(kind: TaskName | 'load' | 'text', fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      this.inFlight = kind;
      try {
        return await fn();
      } finally {
        this.inFlight = null;
      }
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async inspect(input: ModelInput): Promise<InspectResult | null> {
    this.supersede();
    this.s.modelInspecting(input.kind === 'local' ? { kind: 'local', name: input.name } : (input as ModelSource));
    try {
      const r = await this.enqueue('load', () => this.engine.inspect(input));
      this.s.modelEstimated(r.estimate);
      return r;
    } catch (e) {
      this.s.modelFailed(uiError(e));
      return null;
    }
  }

  private async loadModelNow(input: ModelInput, inspected: InspectResult | null): Promise<boolean> {
    if (inspected && !inspected.estimate.fits) {
      // The engine refuses it too; say so before any download.
      this.s.modelFailed({
        code: 'MODEL_TOO_LARGE',
        name: 'ModelTooLargeError',
        message: `This model needs about ${formatBytes(inspected.estimate.float32Bytes)} as float32, more than this device allows (${formatBytes(inspected.estimate.limitBytes ?? 0)}). Pick a smaller model.`,
      });
      return false;
    }
    try {
      const info = await this.enqueue('load', () => this.engine.loadModel(input, (p) => this.s.modelProgress(p)));
      this.s.modelLoaded(info, info.fromCache);
      return true;
    } catch (e) {
      this.s.modelFailed(uiError(e));
      return false;
    }
  }

  /**
   * Load another model (from the model picker). The text and windows stay; the drops are reset. A
   * window length longer than the new model supports is shortened to its maximum.
   */
  async loadModel(input: ModelInput): Promise<boolean> {
    if (this.downloadAnswer) this.confirmDownload(false); // a model picked instead of a link's Hub model
    const inspected = input.kind === 'local' ? null : await this.inspect(input);
    if (input.kind !== 'local' && !inspected) return false;
    if (input.kind === 'local') {
      this.supersede();
      this.s.modelInspecting({ kind: 'local', name: input.name });
    }
    if (!(await this.loadModelNow(input, inspected))) return false;
    const spec = this.s.model.info!.spec;
    const pending = this.pendingLocal;
    if (
      input.kind === 'local' &&
      pending &&
      pending.model.kind === 'local' &&
      pending.model.name === linkSafeName(input.name)
    ) {
      this.pendingLocal = null;
      try {
        checkExperimentAgainstModel(pending, spec, sourceLabel(pending.model));
        this.s.setNotice(null);
        this.applyValidated(pending);
        return true;
      } catch (e) {
        this.linkRefused(e);
      }
    }
    this.store.setState((s) => ({
      drops: { current: NO_DROPS, past: [], future: [] },
      data: { ...s.data, seqLen: Math.min(s.data.seqLen, spec.maxPositions) },
    }));
    await this.applyText();
    return true;
  }

  async cancelLoad(): Promise<void> {
    if (this.inFlight === 'load') this.engine.cancel();
  }

  async clearCache(source: ModelSource): Promise<void> {
    await this.engine.clearCache(inputFor(source));
  }

  // -------------------------------------------------------------------------------------------------
  // Text and windows.

  private async textOf(t: TextChoice): Promise<string> {
    if (t.kind !== 'bundled') return t.text;
    const cached = this.texts.get(t.id);
    if (cached !== undefined) return cached;
    const entry = this.s.data.bundledTexts.find((x) => x.id === t.id);
    if (!entry) throw new ShareLinkError(`The text "${t.id}" is not one of this DropLab's bundled texts.`);
    const text = await this.deps.fetchText(`data/${entry.file}`);
    this.texts.set(t.id, text);
    return text;
  }

  /** Choose the evaluation text (custom texts are limited to MAX_TEXT_BYTES so a link can hold them). */
  async setText(t: TextChoice): Promise<void> {
    if (t.kind !== 'bundled' && new TextEncoder().encode(t.text).length > MAX_TEXT_BYTES) {
      this.s.dataFailed({
        code: 'TEXT_TOO_LONG',
        name: 'Error',
        message: `Custom texts are limited to ${MAX_TEXT_BYTES / 1000} kB so that a share link can hold the whole experiment. Use a shorter text.`,
      });
      return;
    }
    this.s.setTextChoice(t);
    await this.applyText();
  }

  async setWindowSettings(seqLen: number, windows: number): Promise<void> {
    const max = this.s.model.info?.spec.maxPositions ?? SEQ_LEN_RANGE.max;
    const bad = (v: number, lo: number, hi: number) => !Number.isInteger(v) || v < lo || v > hi;
    if (
      bad(seqLen, SEQ_LEN_RANGE.min, Math.min(SEQ_LEN_RANGE.max, max)) ||
      bad(windows, WINDOWS_RANGE.min, WINDOWS_RANGE.max)
    ) {
      this.s.dataFailed({
        code: 'RANGE',
        name: 'RangeError',
        message: `Window length must be a whole number from ${SEQ_LEN_RANGE.min} to ${Math.min(SEQ_LEN_RANGE.max, max)} (this model's limit), and windows from ${WINDOWS_RANGE.min} to ${WINDOWS_RANGE.max}.`,
      });
      return;
    }
    this.s.setWindowSettings({ seqLen, windows });
    await this.applyText();
  }

  /** Send the current text and windows to the engine, then refresh every result. */
  private async applyText(): Promise<void> {
    if (!this.s.model.info) return;
    this.supersede();
    this.s.dataTokenizing();
    const { text, seqLen, windows } = this.s.data;
    let info: DataInfo;
    try {
      const body = await this.textOf(text);
      info = await this.enqueue('text', () => this.engine.setText(body, { seqLen, windows }));
    } catch (e) {
      // Only the latest choice may report.
      if (this.s.data.text === text && this.s.data.seqLen === seqLen && this.s.data.windows === windows)
        this.s.dataFailed(uiError(e));
      return;
    }
    if (this.s.data.text !== text || this.s.data.seqLen !== seqLen || this.s.data.windows !== windows) return;
    this.s.dataReady(info);
    this.s.resetResults(contextKey(this.s));
    this.refresh();
  }

  // -------------------------------------------------------------------------------------------------
  // Drops.

  toggle(kind: SublayerKind, layer: number): void {
    this.changeDrops(toggleDrop(this.s.drops.current, kind, layer));
  }

  toggleBlock(layer: number): void {
    this.changeDrops(toggleBlock(this.s.drops.current, layer));
  }

  setDrops(d: DropConfig): void {
    this.changeDrops(d);
  }

  undo(): void {
    const before = this.s.drops.current;
    this.s.undo();
    if (this.s.drops.current !== before) this.afterDropsChange(before);
  }

  redo(): void {
    const before = this.s.drops.current;
    this.s.redo();
    if (this.s.drops.current !== before) this.afterDropsChange(before);
  }

  setMetric(m: MetricView): void {
    this.s.setMetric(m);
  }

  private changeDrops(d: DropConfig): void {
    const L = this.s.model.info?.spec.numLayers ?? 0;
    if ([...d.attn, ...d.mlp].some((l) => !Number.isInteger(l) || l < 0 || l >= L)) return;
    const before = this.s.drops.current;
    this.s.setDrops(d);
    if (this.s.drops.current !== before) this.afterDropsChange(before);
  }

  private afterDropsChange(before: DropConfig): void {
    const s = this.s;
    const ctx = s.results.context;
    const now = s.drops.current;
    // Instant perplexity from the drop-one results of the previous configuration.
    if (!s.results.evals[dropKey(now)]) {
      const added = singleAddedDrop(before, now);
      const base = s.results.dropOnes[dropKey(before)];
      const like = s.results.evals[dropKey(before)] ?? Object.values(s.results.evals)[0];
      if (added && base && like) {
        const r = evalFromDropOne(base, added.kind, added.layer, like);
        if (r) s.putEval(ctx, r);
      }
    }
    this.refresh();
  }

  // -------------------------------------------------------------------------------------------------
  // The refresh pipeline.

  /** Invalidate the pipeline in flight (cancelling its engine call). */
  private supersede(): void {
    this.gen++;
    if (this.inFlight && this.inFlight !== 'load' && this.inFlight !== 'text') this.engine.cancel();
  }

  /** Recompute what the current configuration lacks, cancelling older work. */
  refresh(): void {
    this.supersede();
    const g = this.gen;
    void this.pipeline(g);
  }

  private async step<T>(
    g: number,
    name: TaskName,
    fn: (onProgress: (p: Progress) => void) => Promise<T>,
  ): Promise<T | null> {
    if (g !== this.gen) return null;
    try {
      return await this.enqueue(name, async () => {
        if (g !== this.gen) return null;
        this.s.setTask({ name, progress: null });
        // Progress callbacks cross the worker boundary on their own channel: one may arrive after the
        // result, and must not bring the finished task back.
        let finished = false;
        try {
          return await fn((p) => {
            if (!finished && g === this.gen) this.s.setTask({ name, progress: p });
          });
        } finally {
          finished = true;
          if (g === this.gen) this.s.setTask(null);
        }
      });
    } catch (e) {
      const err = uiError(e);
      if (!isCancelled(e) && g === this.gen) this.s.setResultsError(err);
      if (err.code === 'DEVICE_LOST') this.deviceLost(err.message);
      return null;
    }
  }

  private async pipeline(g: number): Promise<void> {
    const ctx = contextKey(this.s);
    if (!ctx || ctx !== this.s.results.context) return;
    this.s.setResultsError(null);
    const none = dropKey(NO_DROPS);
    if (!this.s.results.analyses[none]) {
      const a = await this.step(g, 'baseline', (p) => this.engine.analyze(NO_DROPS, p));
      if (!a) return;
      this.s.putAnalysis(ctx, a);
      this.s.putEval(ctx, a.eval);
    }
    const drop = this.s.drops.current;
    const key = dropKey(drop);
    if (!this.s.results.evals[key]) {
      const r = await this.step(g, 'evaluate', (p) => this.engine.evaluate(drop, p));
      if (!r) return;
      this.s.putEval(ctx, r);
    }
    if (!this.s.results.analyses[key]) {
      const a = await this.step(g, 'analyze', (p) => this.engine.analyze(drop, p));
      if (!a) return;
      this.s.putAnalysis(ctx, a);
      this.s.putEval(ctx, a.eval);
    }
    if (!this.s.results.dropOnes[key]) {
      const d = await this.step(g, 'dropOne', (p) => this.engine.dropOne(drop, p));
      if (!d) return;
      this.s.putDropOne(ctx, d);
    }
    // A superseded step leaves its task line to the newer pipeline (step's finally): clear it here, also
    // when everything was cached and no step ran (a toggle back during drop-one used to leave it shown).
    if (g === this.gen) this.s.setTask(null);
  }

  /**
   * Extension point for views with their own engine calls (curves, per-token view: src/state/lab-controller.ts).
   * Runs `fn` on the engine queue, behind the calls already queued. Like a pipeline step, a newer change of
   * drops, model or text cancels it (it resolves null), and so does `signal`. Other errors reject. The
   * store's task line is left to the pipeline: the caller shows its own progress (pass the engine an
   * onProgress of its own).
   */
  async extensionCall<T>(
    name: TaskName,
    fn: (engine: EngineClient) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T | null> {
    const g = this.gen;
    if (signal?.aborted) return null;
    let running = false;
    const onAbort = () => {
      if (running) this.engine.cancel();
    };
    signal?.addEventListener('abort', onAbort);
    try {
      return await this.enqueue(name, async () => {
        if (g !== this.gen || signal?.aborted) return null;
        running = true;
        try {
          return await fn(this.engine);
        } finally {
          running = false;
        }
      });
    } catch (e) {
      if (isCancelled(e)) return null;
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Resolves when the engine queue is idle (tests, and the lab controller before its own calls). */
  async idle(): Promise<void> {
    for (;;) {
      const q = this.queue;
      await q;
      await new Promise((r) => setTimeout(r, 0));
      if (q === this.queue && !this.inFlight) return;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Quick plan.

  /** `onResult`: the plan as chosen (order and scores), before its drops are applied. */
  async plan(req: PlanRequest, onResult?: (r: PlanResult) => void): Promise<boolean> {
    const L = this.s.model.info?.spec.numLayers ?? 0;
    const max = req.target === 'joint' ? 2 * L : L;
    if (!Number.isInteger(req.n) || req.n < 1 || req.n > max) {
      this.s.setResultsError({
        code: 'RANGE',
        name: 'RangeError',
        message: `Choose between 1 and ${max} layers to drop.`,
      });
      return false;
    }
    this.supersede();
    const g = this.gen;
    const r = await this.step(g, 'plan', (p) => this.engine.plan(req, p));
    if (!r) {
      if (g === this.gen) this.refresh();
      return false;
    }
    onResult?.(r);
    this.changeDrops(r.drop);
    if (g === this.gen) this.refresh();
    return true;
  }

  // -------------------------------------------------------------------------------------------------
  // Saved experiments.

  async refreshSaved(): Promise<void> {
    if (!this.deps.saved) return;
    try {
      this.s.setSaved(await this.deps.saved.list());
    } catch {
      this.s.setSaved([]);
    }
  }

  /**
   * An experiment saved before its perplexity arrived: add it to the saved record when it does (same
   * model load, text and windows; a context that changes first ends the wait).
   */
  private addPerplexityLater(id: string, drops: DropConfig): void {
    let ctx = this.s.results.context;
    const key = dropKey(drops);
    const check = () => {
      const s = this.s;
      if (!ctx)
        ctx = s.results.context; // saved before the first results context: the one that follows
      else if (s.results.context && s.results.context !== ctx) return stop();
      const ev = s.results.context === ctx ? s.results.evals[key] : undefined;
      if (!ev) return;
      stop();
      const saved = this.deps.saved;
      if (saved)
        void addPerplexity(saved, id, ev.perplexity)
          .then((changed) => (changed ? this.refreshSaved() : undefined))
          .catch(() => {});
    };
    const unsubscribe = this.store.subscribe(check);
    const stop = () => {
      unsubscribe();
      this.unsubscribers = this.unsubscribers.filter((u) => u !== unsubscribe);
    };
    this.unsubscribers.push(unsubscribe);
  }

  async save(name: string): Promise<boolean> {
    const hash = this.currentHash();
    const e = this.currentExperiment();
    if (!hash || !e || !this.deps.saved) return false;
    const ev = this.s.results.evals[dropKey(e.drops)];
    const summary = `${sourceLabel(e.model)} · ${describeDrops(e.drops)}${ev ? ` · ppl ${ev.perplexity.toFixed(2)}` : ''}`;
    const clean = name.trim().slice(0, 200) || `Experiment ${new Date().toLocaleString()}`;
    const id = newExperimentId();
    await this.deps.saved.put({ id, name: clean, savedAt: Date.now(), hash, summary });
    if (!ev) this.addPerplexityLater(id, e.drops);
    await this.refreshSaved();
    return true;
  }

  async openSaved(id: string): Promise<boolean> {
    const rec = this.s.saved.list.find((x) => x.id === id);
    if (!rec) return false;
    let e: Experiment;
    try {
      e = decodeExperiment(rec.hash);
    } catch (err) {
      this.linkRefused(err);
      return false;
    }
    return this.openExperiment(e, 'saved');
  }

  async deleteSaved(id: string): Promise<void> {
    await this.deps.saved?.remove(id);
    await this.refreshSaved();
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}
