/**
 * Engine work for the curves and the per-token view, and the classroom presets. Every engine call goes
 * through the workbench's engine queue (controller.queue.extensionCall, src/state/engine-queue.ts), so it
 * queues behind the refresh pipeline and a change of drops, model or text cancels it; progress goes
 * through the queue's one late-progress guard (untilSettled). The curves are independent of the current drops: a toggle pre-empts
 * the call in flight, the pipeline refreshes the perplexity first, then the curves resume where they were.
 */
import type { Progress, TokenDelta } from '../engine/api';
import type { WorkbenchController } from './controller';
import { untilSettled } from './engine-queue';
import { type PresetId, presets } from './classroom';
import { maxSteps, missingWork, type RankedChoice } from './curves';
import { missingAccuracy } from './curves-accuracy';
import { tasksFor } from './task-runner';
import { dropKey, NO_DROPS } from './drops';
import { DEFAULT_MODEL, uiError, type WorkbenchStore } from './store';
import { tokenKey, type TokenSublayer } from './token-view';

export class LabController {
  private curvesAbort: AbortController | null = null;
  private tokenRun = 0;

  constructor(
    private readonly store: WorkbenchStore,
    private readonly controller: WorkbenchController,
  ) {}

  private get s() {
    return this.store.getState();
  }

  // -------------------------------------------------------------------------------------------------
  // Curves.

  get curvesRunning(): boolean {
    return this.curvesAbort !== null;
  }

  /**
   * Compute whatever the curves still lack up to `maxSublayers` dropped sublayers (default: the slice's
   * setting, else the number of layers): one one-shot plan per strategy, then one evaluation per point.
   * Resolves when done, cancelled or failed (the slice's job says which).
   */
  async computeCurves(maxSublayers?: number): Promise<void> {
    this.cancelCurves(false);
    const info = this.s.model.info;
    const ctx = this.s.results.context;
    if (!info || !ctx) return;
    const L = info.spec.numLayers;
    const max = Math.max(1, Math.min(2 * L, Math.round(maxSublayers ?? (this.s.curves.maxSublayers || L))));
    this.s.setCurvesMax(max);
    if (this.s.curves.context !== ctx) this.s.setCurvesContext(ctx);
    const ac = new AbortController();
    this.curvesAbort = ac;
    let done = 0;
    const set = this.s.setCurvesJob;
    set({ state: 'running', done: 0, total: 0, partial: 0, current: null, error: null, unranked: 0, waiting: false });
    // Progress of the call in flight only (untilSettled: a callback can arrive after its call's result).
    const partial = (p: Progress) => {
      if (!ac.signal.aborted && p.total > 0) set({ partial: Math.min(1, p.done / p.total) });
    };
    const queue = this.controller.queue;
    try {
      for (;;) {
        if (ac.signal.aborted) return;
        const s = this.s;
        if (s.results.context !== ctx || s.model.info !== info) {
          set({
            state: 'cancelled',
            current: null,
            error: 'The model, text or windows changed: compute the curves again.',
          });
          return;
        }
        const rankings = s.curves.context === ctx ? s.curves.rankings : {};
        const needBase = !s.results.evals[dropKey(NO_DROPS)];
        const work = missingWork(rankings, s.results.evals, L, max);
        // With a task chosen, each point's accuracy too, once every strategy is ranked (after the perplexities).
        const choice = s.tasks.choice;
        const taskResults = s.tasks.context === `g${s.model.generation}` ? s.tasks.results : {};
        const accWork = choice && work.plans.length === 0 ? missingAccuracy(rankings, taskResults, choice, L, max) : [];
        // Only calls known to run are counted: the plans come first, and a strategy's evaluations are
        // counted once its ranking is known (shared and already measured configurations are not run).
        const remaining = (needBase ? 1 : 0) + work.plans.length + work.evals.length + accWork.length;
        set({ total: done + remaining, done, partial: 0, unranked: work.plans.length });
        if (remaining === 0) {
          set({ state: 'done', current: null, waiting: false });
          return;
        }
        // The call queues behind the workbench's own refresh (perplexity, heatmaps): say so until it starts.
        const started = <T>(f: () => Promise<T>) => {
          if (!ac.signal.aborted) set({ waiting: false });
          return f();
        };
        set({ waiting: true });
        let ok: boolean;
        if (work.plans.length > 0) {
          const { strategy, n } = work.plans[0];
          set({ current: { strategy, n: 0 } });
          const r = await queue.extensionCall(
            'plan',
            (e) => started(() => untilSettled(partial, (p) => e.plan({ target: strategy, n, iterative: false }, p))),
            ac.signal,
          );
          ok = !!r;
          if (r) {
            const ranking = (r.steps[0]?.chosen ?? []).map((c): RankedChoice => ({ kind: c.kind, layer: c.layer }));
            if (ranking.length < n) throw new Error(`The ${strategy} plan chose ${ranking.length} of ${n} sublayers.`);
            this.s.setCurveRanking(ctx, strategy, ranking);
          }
        } else if (needBase) {
          set({ current: null });
          const r = await queue.extensionCall(
            'evaluate',
            (e) => started(() => untilSettled(partial, (p) => e.evaluate(NO_DROPS, p))),
            ac.signal,
          );
          ok = !!r;
          if (r) s.putEval(ctx, r);
        } else if (work.evals.length === 0 && choice) {
          const t = accWork[0];
          set({ current: t.strategy ? { strategy: t.strategy, n: t.n, accuracy: true } : null });
          const tasks = tasksFor(this.store, this.controller);
          const r = await started(() => tasks.score(choice, t.drop, partial, ac.signal));
          ok = !!r;
        } else {
          const t = work.evals[0];
          set({ current: { strategy: t.strategy, n: t.n } });
          const r = await queue.extensionCall(
            'evaluate',
            (e) => started(() => untilSettled(partial, (p) => e.evaluate(t.drop, p))),
            ac.signal,
          );
          ok = !!r;
          if (r) this.s.putEval(ctx, r);
        }
        if (ac.signal.aborted) return;
        if (ok) done++;
        // Pre-empted by a change of drops: let the pipeline refresh what the person looks at first.
        else await queue.idle();
      }
    } catch (e) {
      if (!ac.signal.aborted) set({ state: 'error', current: null, error: uiError(e).message });
    } finally {
      if (this.curvesAbort === ac) this.curvesAbort = null;
    }
  }

  /** Stop computing the curves (the points measured so far stay). */
  cancelCurves(mark = true): void {
    const ac = this.curvesAbort;
    if (!ac) return;
    this.curvesAbort = null;
    ac.abort();
    if (mark) this.s.setCurvesJob({ state: 'cancelled', current: null, partial: 0, error: null });
  }

  /**
   * Engine calls the curves still need up to `maxSublayers` (for the button's hint): exact once every
   * strategy is ranked; before that, at most this many (a configuration two strategies share, or one
   * already measured, is evaluated once or not at all).
   */
  curvesCost(maxSublayers: number): { calls: number; exact: boolean } {
    const s = this.s;
    const L = s.model.info?.spec.numLayers ?? 0;
    const rankings = s.curves.context === s.results.context ? s.curves.rankings : {};
    const work = missingWork(rankings, s.results.evals, L, maxSublayers);
    const unranked = work.plans.reduce((n, p) => n + maxSteps(p.strategy, L, maxSublayers), 0);
    const base = s.results.evals[dropKey(NO_DROPS)] ? 0 : 1;
    // With a task chosen, one scoring per configuration (exact once ranked; before that, as many as evaluations).
    const choice = s.tasks.choice;
    const results = s.tasks.context === `g${s.model.generation}` ? s.tasks.results : {};
    const acc = !choice
      ? 0
      : work.plans.length === 0
        ? missingAccuracy(rankings, results, choice, L, maxSublayers).length
        : 1 + work.evals.length + unranked;
    return {
      calls: base + work.plans.length + work.evals.length + unranked + acc,
      exact: work.plans.length === 0,
    };
  }

  // -------------------------------------------------------------------------------------------------
  // Per-token view.

  selectTokens(sel: TokenSublayer): void {
    const L = this.s.model.info?.spec.numLayers ?? 0;
    if (!Number.isInteger(sel.layer) || sel.layer < 0 || sel.layer >= L) return;
    this.s.selectTokenSublayer({ kind: sel.kind, layer: sel.layer });
  }

  /** A heatmap cell was clicked or focused: show it here when the view follows the heatmap. */
  fromHeatmap(kind: 'attn' | 'mlp' | 'block', layer: number): void {
    if (kind === 'block' || !this.s.tokenView.follow) return;
    const cur = this.s.tokenView.selected;
    if (cur && cur.kind === kind && cur.layer === layer) return;
    this.selectTokens({ kind, layer });
  }

  /** Compute the per-token result of the chosen sublayer under the current drops, unless known. */
  async requestTokens(): Promise<void> {
    for (;;) {
      const s = this.s;
      const sel = s.tokenView.selected;
      const ctx = s.results.context;
      if (!sel || !ctx || !s.model.info || s.data.status !== 'ready') return;
      const drop = s.drops.current;
      const key = tokenKey(ctx, drop, sel);
      if (s.tokenView.context === ctx && s.tokenView.results[key]) return;
      if (s.tokenView.pending === key) return;
      const run = ++this.tokenRun;
      s.setTokenPending(key);
      let r: TokenDelta | null;
      try {
        r = await this.controller.queue.extensionCall('analyze', (e) => e.tokenDelta(sel.kind, sel.layer, drop));
      } catch (e) {
        if (this.s.tokenView.pending === key) this.s.setTokenPending(null);
        this.s.setTokenError(uiError(e).message);
        return;
      }
      if (this.s.tokenView.pending === key) this.s.setTokenPending(null);
      if (r) {
        if (this.s.results.context === ctx) this.s.putTokenDelta(ctx, key, r);
        return;
      }
      // Pre-empted (drops, model or text changed): a newer request may have started; else try again.
      if (run !== this.tokenRun) return;
      await this.controller.queue.idle();
      if (run !== this.tokenRun) return;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Classroom.

  applyPreset(id: PresetId): boolean {
    const s = this.s;
    const info = s.model.info;
    if (!info) return false;
    const full = s.results.analyses[dropKey(NO_DROPS)];
    const p = presets(info.spec.numLayers, full?.importance ?? null).find((x) => x.id === id);
    if (!p?.drop) return false;
    this.controller.setDrops(p.drop);
    return true;
  }

  /** The tour runs on the bundled model: load it unless it is loaded (or loading). */
  async loadBundledModel(): Promise<boolean> {
    const src = this.s.model.info?.source;
    const def = DEFAULT_MODEL;
    if (def.kind !== 'bundled') return false;
    if (src?.kind === 'bundled' && src.name === def.name) return true;
    return this.controller.loadModel({ kind: 'bundled', name: def.name });
  }
}

const labs = new WeakMap<WorkbenchController, LabController>();

/** The one LabController of a workbench. */
export function labFor(store: WorkbenchStore, controller: WorkbenchController): LabController {
  let lab = labs.get(controller);
  if (!lab) {
    lab = new LabController(store, controller);
    labs.set(controller, lab);
  }
  return lab;
}
