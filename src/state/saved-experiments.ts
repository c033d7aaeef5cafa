/**
 * Saved experiments as the workbench uses them: the list in the store (kept current when another tab
 * saves or deletes), saving the experiment on screen (its perplexity added once it arrives), opening one
 * (through the controller's validation, like a link) and deleting one. The records live in IndexedDB
 * (src/state/saved.ts); `db` is null where IndexedDB is unavailable.
 */
import { decodeOr, experimentOf, hashOf } from './current-experiment';
import { describeDrops, dropKey } from './drops';
import { sourceLabel } from './model-source';
import { addPerplexity, newExperimentId, type SavedExperimentsDb } from './saved';
import type { Experiment } from './share-link';
import type { DropConfig } from '../engine/api';
import type { WorkbenchStore } from './store';

export interface SavedExperimentsDeps {
  store: WorkbenchStore;
  db: SavedExperimentsDb | null;
  /** Validate and open an experiment (the controller's openExperiment). */
  open(e: Experiment): Promise<boolean>;
  /** A record that does not decode: say so (the controller's refused-link notice). */
  refused(e: unknown): void;
}

export class SavedExperiments {
  private unsubscribers: (() => void)[] = [];

  constructor(private readonly deps: SavedExperimentsDeps) {}

  private get s() {
    return this.deps.store.getState();
  }

  /** Read the list, and follow saves and deletes in other tabs; resolves once the list is read. */
  start(): Promise<void> {
    const first = this.refresh();
    const off = this.deps.db?.onChange?.(() => void this.refresh());
    if (off) this.unsubscribers.push(off);
    return first;
  }

  stop(): void {
    for (const u of this.unsubscribers) u();
    this.unsubscribers = [];
  }

  async refresh(): Promise<void> {
    if (!this.deps.db) return;
    try {
      this.s.setSaved(await this.deps.db.list());
    } catch {
      this.s.setSaved([]);
    }
  }

  async save(name: string): Promise<boolean> {
    const hash = hashOf(this.s);
    const e = experimentOf(this.s);
    const db = this.deps.db;
    if (!hash || !e || !db) return false;
    const ev = this.s.results.evals[dropKey(e.drops)];
    const summary = `${sourceLabel(e.model)} · ${describeDrops(e.drops)}${ev ? ` · ppl ${ev.perplexity.toFixed(2)}` : ''}`;
    const clean = name.trim().slice(0, 200) || `Experiment ${new Date().toLocaleString()}`;
    const id = newExperimentId();
    await db.put({ id, name: clean, savedAt: Date.now(), hash, summary });
    if (!ev) this.addPerplexityLater(id, e.drops);
    await this.refresh();
    return true;
  }

  async open(id: string): Promise<boolean> {
    const rec = this.s.saved.list.find((x) => x.id === id);
    if (!rec) return false;
    const e = decodeOr(rec.hash, this.deps.refused);
    if (!e) return false;
    return this.deps.open(e);
  }

  async remove(id: string): Promise<void> {
    await this.deps.db?.remove(id);
    await this.refresh();
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
      const db = this.deps.db;
      if (db)
        void addPerplexity(db, id, ev.perplexity)
          .then((changed) => (changed ? this.refresh() : undefined))
          .catch(() => {});
    };
    const unsubscribe = this.deps.store.subscribe(check);
    const stop = () => {
      unsubscribe();
      this.unsubscribers = this.unsubscribers.filter((u) => u !== unsubscribe);
    };
    this.unsubscribers.push(unsubscribe);
  }
}
