/**
 * Reading a model's config (inspect: size estimate, spec) and loading its weights, on the engine queue,
 * with the model slice following along. inspect starts a new epoch of the queue (a model change makes every
 * result in flight useless); a load on the queue is never cancelled by a change, only by cancelLoad.
 */
import type { EngineClient, InspectResult, ModelSource } from '../engine/api';
import type { EngineQueue } from './engine-queue';
import { formatBytes } from './model-source';
import { uiError, type WorkbenchStore } from './store';

export interface ModelLoadingDeps {
  store: WorkbenchStore;
  queue: EngineQueue;
  engine: EngineClient;
}

/**
 * Read the model's config and size; null when refused (the model slice says why). A local folder is read
 * only by the load: it is marked as inspecting, and null returned.
 */
export async function inspectModel(d: ModelLoadingDeps, input: ModelSource): Promise<InspectResult | null> {
  const s = d.store.getState();
  d.queue.supersede();
  s.modelInspecting(input.kind === 'local' ? { kind: 'local', name: input.name } : (input as ModelSource));
  if (input.kind === 'local') return null;
  try {
    const r = await d.queue.enqueue('load', () => d.engine.inspect(input));
    s.modelEstimated(r.estimate);
    return r;
  } catch (e) {
    s.modelFailed(uiError(e));
    return null;
  }
}

/** Load the weights (refused at once when the estimate says they do not fit); false when it failed. */
export async function loadWeights(
  d: ModelLoadingDeps,
  input: ModelSource,
  inspected: InspectResult | null,
): Promise<boolean> {
  const s = d.store.getState();
  if (inspected && !inspected.estimate.fits) {
    // The engine refuses it too; say so before any download.
    s.modelFailed({
      code: 'MODEL_TOO_LARGE',
      name: 'ModelTooLargeError',
      message: `This model needs about ${formatBytes(inspected.estimate.float32Bytes)} as float32, more than this device allows (${formatBytes(inspected.estimate.limitBytes ?? 0)}). Pick a smaller model.`,
    });
    return false;
  }
  try {
    const info = await d.queue.enqueue('load', () => d.engine.loadModel(input, (p) => s.modelProgress(p)));
    s.modelLoaded(info, info.fromCache);
    return true;
  } catch (e) {
    s.modelFailed(uiError(e));
    return false;
  }
}
