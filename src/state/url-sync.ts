/**
 * The URL hash and the autosave follow the experiment on screen; a link pasted into the address bar is
 * decoded and handed to the controller (open) to validate and open.
 *
 * They follow the experiment, not the store: progress, results and UI state change the store many times
 * a second while work runs in the background, and restarting a debounce on each of those kept the
 * address bar on the previous experiment for as long as the work ran (36 s during the curves). Only a
 * change of the experiment's own hash schedules a write. Writes are throttled, not debounced: a change
 * after a quiet period is written at once (so a reload or a copy right after a click keeps it), changes
 * in quick succession at most once per writeDelayMs, and the last one always, within writeDelayMs of it.
 */
import { decodeOr, hashOf } from './current-experiment';
import type { SavedExperimentsDb } from './saved';
import { decodeExperiment, type Experiment, isEmptyHash } from './share-link';
import type { WorkbenchStore } from './store';

/** Where the URL hash lives (window.location + history in the app; a variable in tests). */
export interface HashPort {
  get(): string;
  /** Replace the hash without a new history entry. */
  replace(hash: string): void;
  /** Calls back when the person changes the hash (pasting a link); returns an unsubscribe. */
  onChange(cb: (hash: string) => void): () => void;
}

export interface UrlSyncDeps {
  store: WorkbenchStore;
  hash: HashPort;
  saved: SavedExperimentsDb | null;
  /** Least time between two writes, ms (default 250). */
  writeDelayMs?: number;
  /** Open a link the person put in the address bar (not empty, not the one written last). */
  open(e: Experiment): Promise<boolean>;
  /** A link that does not decode: say why. */
  refused(e: unknown): void;
}

export class UrlSync {
  private lastWritten: string | null = null;
  /** A link pasted before the start-up experiment was in place: opened once it is. */
  private pending: string | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** The experiment's hash as of the last store change that altered it. */
  private wanted: string | null = null;
  /** When writeNow last changed the hash (Date.now()). */
  private lastWriteAt = 0;
  private unsubscribers: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly deps: UrlSyncDeps) {}

  /** Listen to the address bar (from the start: links pasted while starting wait in `pending`). */
  listen(): void {
    this.unsubscribers.push(this.deps.hash.onChange((h) => this.onHashChange(h)));
  }

  /**
   * The experiment to start with: the link in the URL hash (deps.refused says why it does not decode), else
   * the autosaved one (quietly skipped when damaged). An autosaved experiment on a local folder comes back
   * as `autosavedLocal`: a folder cannot be reopened unasked.
   */
  async startExperiment(): Promise<{ first: Experiment | null; autosavedLocal: Experiment | null }> {
    const hash = this.deps.hash.get();
    if (!isEmptyHash(hash)) return { first: decodeOr(hash, this.deps.refused), autosavedLocal: null };
    const auto = this.deps.saved ? await this.deps.saved.getAutosave().catch(() => null) : null;
    let e: Experiment | null = null;
    try {
      e = auto ? decodeExperiment(auto) : null;
    } catch {
      e = null;
    }
    return e?.model.kind === 'local' ? { first: null, autosavedLocal: e } : { first: e, autosavedLocal: null };
  }

  /** The start-up experiment is in place (the store is ready): follow the store from now on. */
  follow(): void {
    const { store } = this.deps;
    this.unsubscribers.push(store.subscribe(() => this.onStoreChange()));
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) this.onHashChange(pending);
    else this.scheduleWrite();
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribers) u();
    if (this.timer) clearTimeout(this.timer);
  }

  private onStoreChange(): void {
    const hash = hashOf(this.deps.store.getState());
    if (hash === this.wanted) return;
    this.wanted = hash;
    this.scheduleWrite();
  }

  private scheduleWrite(): void {
    if (!this.deps.store.getState().ui.ready || this.stopped || this.timer) return;
    const wait = this.lastWriteAt + (this.deps.writeDelayMs ?? 250) - Date.now();
    if (wait <= 0) {
      this.writeNow();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.writeNow();
    }, wait);
  }

  /** Write the hash and the autosave now (tests call it instead of waiting). */
  writeNow(): void {
    const hash = hashOf(this.deps.store.getState());
    if (!hash || hash === this.lastWritten) return;
    this.lastWritten = hash;
    this.lastWriteAt = Date.now();
    if (this.deps.hash.get().replace(/^#/, '') !== hash) this.deps.hash.replace(hash);
    this.deps.saved?.setAutosave(hash).catch(() => {});
  }

  private onHashChange(hash: string): void {
    const h = hash.replace(/^#/, '');
    if (!this.deps.store.getState().ui.ready) {
      this.pending = h;
      return;
    }
    if (isEmptyHash(h) || h === this.lastWritten) return;
    const e = decodeOr(h, this.deps.refused);
    if (e) void this.deps.open(e);
  }

  /**
   * Put the experiment on screen back in the address bar (after a refused link), so that "Copy share
   * link", a reload and a bookmark show what is on screen, not the refused link. Before any experiment is
   * open (a refused link on a first visit) there is nothing to restore: the default experiment's hash is
   * written once it is open.
   */
  restore(): void {
    const current = hashOf(this.deps.store.getState());
    if (current === null) return;
    if (this.deps.hash.get().replace(/^#/, '') !== current) this.deps.hash.replace(current);
    this.lastWritten = current;
  }
}
