/**
 * The workbench controller: user intents in (start-up, links, models, text and windows, drops, undo/redo,
 * plans), store actions out; no React. One job per part: engine-queue.ts (one call at a time, epochs,
 * steps, extension calls), refresh-pipeline.ts (what the configuration lacks), model-loading.ts,
 * download-question.ts (a link's Hub model waits for the person's word), url-sync.ts (hash and autosave
 * follow the experiment), saved-experiments.ts, texts.ts, notices.ts (the wording).
 *
 * After any change of model, text, windows or drops the refresh pipeline runs under a new epoch of the
 * queue; a newer change cancels the one in flight. Known drop-one results give a toggle's perplexity at once.
 * Start-up: the link in the URL hash, else the autosaved experiment, else the default (bundled model). A
 * link is validated completely (syntax, text id, layer indices against the model's config, read before any
 * weight is downloaded) before anything of it is applied; a refused one leaves the workbench as it was
 * (or on the default experiment), with the reason shown.
 */
import type {
  DropConfig,
  EngineClient,
  ImportFile,
  ModelSource,
  PlanRequest,
  PlanResult,
  WeightPrecision,
  WorkerInit,
} from '../engine/api';
import { ShareLinkError } from '../engine/errors';
import { defaultExperiment, hashOf } from './current-experiment';
import { DownloadQuestion } from './download-question';
import { EngineQueue } from './engine-queue';
import { toggleBlock, toggleDrop, type SublayerKind } from './drops';
import { inspectModel, loadWeights, type ModelLoadingDeps } from './model-loading';
import { inputFor, sameSource, sourceLabel } from './model-source';
import { instantEval, runPipeline } from './refresh-pipeline';
import type { SavedExperimentsDb } from './saved';
import { SavedExperiments } from './saved-experiments';
import {
  type Experiment,
  type MetricView,
  type TextChoice,
  checkExperimentAgainstModel,
  linkSafeName,
} from './share-link';
import * as notices from './notices';
import { Texts } from './texts';
import { importFiles, type ImportOutcome } from './import-results';
import { contextKey, uiError, type WorkbenchStore } from './store';
import { type HashPort, UrlSync } from './url-sync';

export interface ControllerDeps {
  store: WorkbenchStore;
  engine: EngineClient;
  init: WorkerInit;
  /** Fetches a file under public/ (e.g. 'data/manifest.json') as text. */
  fetchText(path: string): Promise<string>;
  hash: HashPort;
  /** Saved experiments; null when IndexedDB is unavailable (private windows of some browsers). */
  saved: SavedExperimentsDb | null;
  /** Least time between two writes of the hash and the autosave, ms (default 250). */
  writeDelayMs?: number;
  /** A Hub access token the page remembered in this tab (sessionStorage, when the person asked): given to the engine before a link's model loads. */
  hubToken?: string | null;
}

export class WorkbenchController {
  /** The engine queue, shared with the lab controller (src/state/lab-controller.ts). */
  readonly queue: EngineQueue;
  private readonly store: WorkbenchStore;
  private readonly engine: EngineClient;
  private readonly url: UrlSync;
  private readonly saved: SavedExperiments;
  private readonly download: DownloadQuestion;
  private readonly models: ModelLoadingDeps;
  private readonly texts: Texts;
  /** An experiment on a local folder, waiting for the person to pick that folder. */
  private pendingLocal: Experiment | null = null;

  constructor(private readonly deps: ControllerDeps) {
    this.store = deps.store;
    this.engine = deps.engine;
    this.queue = new EngineQueue(deps.engine, {
      setTask: (t) => this.s.setTask(t),
      setResultsError: (e) => this.s.setResultsError(e),
      deviceLost: (m) => this.deviceLost(m),
    });
    this.url = new UrlSync({
      ...deps,
      open: (e) => this.openExperiment(e, 'link'),
      refused: (e) => this.linkRefused(e),
    });
    this.saved = new SavedExperiments({
      store: deps.store,
      db: deps.saved,
      open: (e) => this.openExperiment(e, 'saved'),
      refused: (e) => this.linkRefused(e),
    });
    this.download = new DownloadQuestion(deps.store, deps.init.hubEndpoint);
    this.models = { store: deps.store, queue: this.queue, engine: deps.engine };
    this.texts = new Texts(deps.store, deps.fetchText);
  }

  /** A file under public/ as text (the offline task: src/state/task-runner.ts). */
  fetchPublic(path: string): Promise<string> {
    return this.deps.fetchText(path);
  }

  /** The Hugging Face Hub base URL in use. */
  get hubEndpoint(): string {
    return this.deps.init.hubEndpoint;
  }

  private get s() {
    return this.store.getState();
  }

  // -------------------------------------------------------------------------------------------------
  // Start-up.

  async start(): Promise<void> {
    this.url.listen(); // links pasted while starting are opened once the start-up experiment is in place
    const backend = this.engine
      .init(this.deps.init, (message, cause) => this.deviceLost(message, cause))
      .then(
        (report) => this.s.setBackend({ state: 'ready', report }),
        (e) => {
          this.s.setBackend({ state: 'error', error: uiError(e) });
          throw e;
        },
      );
    const manifest = this.texts.loadManifest();
    const savedList = this.saved.start();
    try {
      await backend;
    } catch {
      return; // the badge shows why; nothing can run
    }
    await manifest;
    await savedList;
    if (this.deps.hubToken) await this.engine.setHubToken(this.deps.hubToken).catch(() => undefined);

    const { first, autosavedLocal } = await this.url.startExperiment();
    let opened = false;
    if (first) opened = await this.openExperiment(first, 'link');
    if (!opened && !this.pendingLocal) await this.openExperiment(defaultExperiment(), 'default');
    if (autosavedLocal && autosavedLocal.model.kind === 'local' && !this.pendingLocal) {
      // The last experiment used a local folder: say so, and picking that folder brings it back.
      this.pendingLocal = autosavedLocal;
      this.s.setNotice(notices.pickFolderNotice(autosavedLocal.model.name, true));
    }
    this.s.setReady(true);
    this.url.follow();
  }

  stop(): void {
    this.url.stop();
    this.saved.stop();
  }

  currentHash(): string | null {
    return hashOf(this.s);
  }

  /** Write the hash and the autosave now (tests call it instead of waiting). */
  writeNow(): void {
    this.url.writeNow();
  }

  // -------------------------------------------------------------------------------------------------
  // Opening a complete experiment (link, saved experiment, default).

  private linkRefused(e: unknown): void {
    this.s.setNotice(notices.linkRefusedNotice(uiError(e)));
    this.url.restore();
  }

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
        this.s.setNotice(notices.pickFolderNotice(e.model.name, false));
        return false;
      }
      if (loaded && sameSource(loaded.source, e.model)) {
        checkExperimentAgainstModel(e, loaded.spec, sourceLabel(e.model));
      } else {
        const inspected = await inspectModel(this.models, inputFor(e.model));
        if (!inspected) return this.modelRefused(origin);
        checkExperimentAgainstModel(e, inspected.spec, sourceLabel(e.model));
        if (origin === 'link' && e.model.kind === 'hub' && !inspected.estimate.cached && inspected.estimate.fits) {
          // Only config.json (and the shard index) has been read: the weights wait for the person's word.
          if (!(await this.download.ask(e.model, inspected))) return this.downloadDeclined(e.model);
        }
        if (!(await loadWeights(this.models, inputFor(e.model), inspected))) return this.modelRefused(origin);
      }
    } catch (err) {
      if (origin === 'default') this.s.modelFailed(uiError(err));
      else this.linkRefused(err);
      return false;
    }
    this.applyValidated(e);
    if (origin !== 'default' && this.s.ui.notice?.title === notices.PICK_FOLDER) this.s.setNotice(null);
    return true;
  }

  /** The answer to a link's "download this Hub model?" (the notice's buttons). */
  confirmDownload(yes: boolean): void {
    this.download.confirm(yes);
  }

  /** "Not now": the model panel (unless another model was picked meanwhile) and the address bar go back to what is on screen. */
  private downloadDeclined(model: ModelSource): false {
    if (sameSource(this.s.model.source, model) && this.s.model.status === 'loading') this.s.modelDeclined();
    this.url.restore();
    return false;
  }

  private modelRefused(origin: 'link' | 'saved' | 'default'): false {
    const err = this.s.model.error;
    if (origin !== 'default' && err) this.linkRefused(err);
    return false;
  }

  /** Apply an experiment that passed validation against the loaded model, all at once. */
  private applyValidated(e: Experiment): void {
    this.s.applyExperiment(e);
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
    this.queue.supersede();
    const { error, notice } = notices.engineLost(message, cause === 'engine');
    this.s.backendLost(error, notice);
  }

  // -------------------------------------------------------------------------------------------------
  // Models.

  /**
   * Load another model (from the model picker). The text and windows stay; the drops are reset. A
   * window length longer than the new model supports is shortened to its maximum.
   */
  async loadModel(input: ModelSource): Promise<boolean> {
    if (this.download.open) this.download.confirm(false); // a model picked instead of a link's Hub model
    const inspected = await inspectModel(this.models, input);
    if (input.kind !== 'local' && !inspected) return false;
    if (!(await loadWeights(this.models, input, inspected))) return false;
    const spec = this.s.model.info!.spec;
    const pending = this.pendingLocal;
    if (input.kind === 'local' && pending?.model.kind === 'local' && pending.model.name === linkSafeName(input.name)) {
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
    this.s.modelSwitched(spec.maxPositions);
    await this.applyText();
    return true;
  }

  async cancelLoad(): Promise<void> {
    this.queue.cancelLoad();
  }

  // -------------------------------------------------------------------------------------------------
  // Text and windows.

  /** Choose the evaluation text (custom texts are limited to MAX_TEXT_BYTES so a link can hold them). */
  async setText(t: TextChoice): Promise<void> {
    const err = notices.textError(t);
    if (err) return this.s.dataFailed(err);
    this.s.setTextChoice(t);
    await this.applyText();
  }

  async setWindowSettings(seqLen: number, windows: number): Promise<void> {
    const err = notices.windowsError(seqLen, windows, this.s.model.info?.spec.maxPositions);
    if (err) return this.s.dataFailed(err);
    this.s.setWindowSettings({ seqLen, windows });
    await this.applyText();
  }

  /** Send the current text and windows to the engine, then refresh every result. */
  private async applyText(): Promise<void> {
    if (!this.s.model.info || !(await this.texts.apply(this.queue, this.engine))) return;
    this.s.resetResults(contextKey(this.s));
    this.refresh();
  }

  // -------------------------------------------------------------------------------------------------
  // Drops, undo and redo (the drops slice records each change as before/after).

  toggle(kind: SublayerKind, layer: number): void {
    this.setDrops(toggleDrop(this.s.drops.current, kind, layer));
  }

  toggleBlock(layer: number): void {
    this.setDrops(toggleBlock(this.s.drops.current, layer));
  }

  /** Replace the drops (out-of-range layers: ignored), recording the change for undo. */
  setDrops(d: DropConfig): void {
    const L = this.s.model.info?.spec.numLayers ?? 0;
    if ([...d.attn, ...d.mlp].some((l) => !Number.isInteger(l) || l < 0 || l >= L)) return;
    const change = this.s.setDrops(d);
    if (change) this.afterDropsChange(change.before);
  }

  undo(): void {
    const change = this.s.undo();
    if (change) this.afterDropsChange(change.after);
  }

  redo(): void {
    const change = this.s.redo();
    if (change) this.afterDropsChange(change.before);
  }

  setMetric(m: MetricView): void {
    this.s.setMetric(m);
  }

  /** The drops changed from `before`: the perplexity at once if drop-one results give it, then a refresh. */
  private afterDropsChange(before: DropConfig): void {
    instantEval(this.store, before);
    this.refresh();
  }

  // -------------------------------------------------------------------------------------------------
  // The refresh pipeline and quick plan.

  /** Recompute what the current configuration lacks, cancelling older work. */
  private refresh(): void {
    void runPipeline(this.store, this.queue, this.engine, this.queue.supersede());
  }

  /** Resolves when the engine queue is idle (tests, and the lab controller before its own calls). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** `onResult`: the plan as chosen (order and scores), before its drops are applied. */
  async plan(req: PlanRequest, onResult?: (r: PlanResult) => void): Promise<boolean> {
    const L = this.s.model.info?.spec.numLayers ?? 0;
    const max = req.target === 'joint' ? 2 * L : L;
    if (!Number.isInteger(req.n) || req.n < 1 || req.n > max) {
      this.s.setResultsError(notices.planSizeError(max));
      return false;
    }
    const g = this.queue.supersede();
    const r = await this.queue.step(g, 'plan', (p) => this.engine.plan(req, p));
    if (!r) {
      if (g === this.queue.epoch) this.refresh();
      return false;
    }
    onResult?.(r);
    this.setDrops(r.drop);
    if (g === this.queue.epoch) this.refresh();
    return true;
  }

  /** The weight precision of the next model load (null: the most precise that fits); `weights` in the store. */
  async setWeightPrecision(p: WeightPrecision | null): Promise<void> {
    await this.engine.setWeightPrecision(p);
    this.s.setWeightChoice(p);
  }

  /** The Hub access token for gated and private models (null: none); the engine keeps it, nothing here does. */
  setHubToken(token: string | null): Promise<void> {
    return this.engine.setHubToken(token);
  }

  // -------------------------------------------------------------------------------------------------
  // Results computed elsewhere (import-results.ts, imported.ts).

  /** Import a results file, LLM-Drop .pt caches and/or an LLM-Drop config.json (all read before anything changes). */
  importResults(files: ImportFile[]): ImportOutcome {
    return importFiles(this.store, files, (d) => this.setDrops(d));
  }

  /** Pick drops on the imported heatmap. */
  selectImported(d: DropConfig): void {
    this.s.setImportedSelection(d);
  }

  /** Close the imported results. */
  closeImported(): void {
    this.s.setImported(null);
  }

  // -------------------------------------------------------------------------------------------------
  // Saved experiments (saved-experiments.ts).

  save(name: string): Promise<boolean> {
    return this.saved.save(name);
  }

  openSaved(id: string): Promise<boolean> {
    return this.saved.open(id);
  }

  deleteSaved(id: string): Promise<void> {
    return this.saved.remove(id);
  }
}
