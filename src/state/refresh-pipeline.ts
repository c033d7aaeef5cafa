/**
 * The refresh pipeline: for the current configuration and in this order, whatever is not cached yet: the
 * baseline (analysis of the full model), the current perplexity, the analysis of the current
 * configuration (heatmaps), and the drop-one results (dNLL of every further drop). Each call is a step of
 * the engine queue under one epoch: a newer change supersedes the rest.
 */
import type { DropConfig, EngineClient } from '../engine/api';
import type { EngineQueue } from './engine-queue';
import { dropKey, NO_DROPS, singleAddedDrop } from './drops';
import { contextKey, evalFromDropOne, type WorkbenchStore } from './store';

export async function runPipeline(store: WorkbenchStore, queue: EngineQueue, engine: EngineClient, g: number) {
  const s = () => store.getState();
  const ctx = contextKey(s());
  if (!ctx || ctx !== s().results.context) return;
  s().setResultsError(null);
  const none = dropKey(NO_DROPS);
  if (!s().results.analyses[none]) {
    const a = await queue.step(g, 'baseline', (p) => engine.analyze(NO_DROPS, p));
    if (!a) return;
    s().putAnalysis(ctx, a);
    s().putEval(ctx, a.eval);
  }
  const drop = s().drops.current;
  const key = dropKey(drop);
  if (!s().results.evals[key]) {
    const r = await queue.step(g, 'evaluate', (p) => engine.evaluate(drop, p));
    if (!r) return;
    s().putEval(ctx, r);
  }
  if (!s().results.analyses[key]) {
    const a = await queue.step(g, 'analyze', (p) => engine.analyze(drop, p));
    if (!a) return;
    s().putAnalysis(ctx, a);
    s().putEval(ctx, a.eval);
  }
  if (!s().results.dropOnes[key]) {
    const d = await queue.step(g, 'dropOne', (p) => engine.dropOne(drop, p));
    if (!d) return;
    s().putDropOne(ctx, d);
  }
  // A superseded step leaves its task line to the newer pipeline (step's finally): clear it here, also
  // when everything was cached and no step ran (a toggle back during drop-one used to leave it shown).
  if (g === queue.epoch) s().setTask(null);
}

/**
 * The drops went from `before` to the current ones: when the current perplexity is unknown, give it at
 * once from the drop-one results of `before` (one sublayer added), before the pipeline measures it.
 */
export function instantEval(store: WorkbenchStore, before: DropConfig): void {
  const s = store.getState();
  const now = s.drops.current;
  if (s.results.evals[dropKey(now)]) return;
  const added = singleAddedDrop(before, now);
  const base = s.results.dropOnes[dropKey(before)];
  const like = s.results.evals[dropKey(before)] ?? Object.values(s.results.evals)[0];
  if (added && base && like) {
    const r = evalFromDropOne(base, added.kind, added.layer, like);
    if (r) s.putEval(s.results.context, r);
  }
}
