/** Engines on both runtimes the engine must run on in Node: onnxruntime-node (CPU) and onnxruntime-web (wasm). */
import { nodeEngine, threads } from '../../src/cli/ort-node';
import type { BatchSchedule } from '../../src/engine/batches';
import { Engine } from '../../src/engine/engine';
import { TINY_DOCUMENTS, type TinyVariant, loadTinyModel, tinyModel } from '../fixtures/tiny-models';
import { referenceFor, type RefModel } from '../reference/forward64';
import { splitWindows } from '../reference/metrics64';
import { RUNTIMES } from '../support/runtimes';

export const ENGINE_RUNTIMES = ['onnxruntime-node', 'onnxruntime-web wasm'] as const;
export type EngineRuntime = (typeof ENGINE_RUNTIMES)[number];

/**
 * Batches of `batchWindows` windows each unless a schedule is asked for: the session-run counts the engine
 * tests assert were worked out for that layout (the workbench's default, 'first-one', has its own tests).
 */
export function makeEngine(rt: EngineRuntime, batchWindows = 2, batchSchedule: BatchSchedule = 'uniform'): Engine {
  if (rt === 'onnxruntime-node') return nodeEngine({ batchWindows, batchSchedule, ...threads(1) });
  const web = RUNTIMES.find((r) => r.ep === 'wasm');
  if (!web) throw new Error('no wasm runtime');
  return new Engine({
    ort: web.ort,
    backend: { name: 'wasm', detail: 'onnxruntime-web wasm in Node', keepOnDevice: false },
    executionProviders: ['wasm'],
    batchWindows,
    batchSchedule,
  });
}

export interface Fixture {
  engine: Engine;
  ref: RefModel;
  windows: Int32Array[];
  seqLen: number;
}

/** A tiny model loaded into an engine, its windows set, and the float64 reference of the same weights. */
export async function fixture(
  variant: TinyVariant,
  rt: EngineRuntime,
  seqLen = 12,
  windows = 3,
  batches: { windows: number; schedule: BatchSchedule } = { windows: 2, schedule: 'uniform' },
): Promise<Fixture> {
  const engine = makeEngine(rt, batches.windows, batches.schedule);
  const tiny = tinyModel(variant);
  await engine.loadModel({ kind: 'local', name: tiny.name }, tiny.files);
  await engine.setText([...TINY_DOCUMENTS], { seqLen, windows });
  const loaded = await loadTinyModel(variant);
  const ref = referenceFor(loaded.spec, loaded.weights);
  const ids = engine.windowIds;
  if (!ids) throw new Error('no windows');
  return { engine, ref, windows: splitWindows(ids, seqLen), seqLen };
}

export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-6));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i])) return Number.POSITIVE_INFINITY;
    if (!Number.isNaN(a[i])) m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m;
}
