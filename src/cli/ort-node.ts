/**
 * onnxruntime-node as the engine's injected runtime: the only module that imports it. Used by the CLI,
 * the benchmarks and the tests.
 */
import * as ort from 'onnxruntime-node';
import type { BackendChoice, OrtLike } from '../engine/runtime/ort';
import { Engine, type EngineOptions } from '../engine/engine';

export const ortNode = ort as unknown as OrtLike;

export const NODE_BACKEND: BackendChoice = {
  name: 'cpu',
  detail: `onnxruntime-node ${ort.env.versions?.node ?? ''} (CPU)`.replace('  ', ' '),
  keepOnDevice: false,
};

/** An Engine on onnxruntime-node's CPU execution provider. */
export function nodeEngine(opts: Partial<EngineOptions> = {}): Engine {
  return new Engine({ ort: ortNode, backend: NODE_BACKEND, executionProviders: ['cpu'], ...opts });
}

/** Set the number of intra-op threads for every session an engine creates. */
export function threads(n: number): Partial<EngineOptions> {
  return { sessionOptions: { intraOpNumThreads: n, interOpNumThreads: 1 } };
}
