/**
 * One session run at a time across the whole worker. onnxruntime-web's wasm backend does not take a
 * second run (of any session) while one is in flight: it fails with "memory access out of bounds" or
 * hangs. The Engine runs one call at a time, but the generation and speed panels (workers/export-api.ts)
 * run their own KV-cache sessions beside it, so the worker hands both the same wrapped runtime, whose
 * session creation, runs and releases queue behind each other in call order.
 */
import type { OrtLike, OrtSession } from '../src/engine/runtime/ort';

export function serializeRuns(ort: OrtLike): OrtLike {
  let queue: Promise<unknown> = Promise.resolve();
  const enqueue = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn, fn);
    queue = p.catch(() => undefined);
    return p;
  };
  const wrap = (s: OrtSession): OrtSession => ({
    get inputNames() {
      return s.inputNames;
    },
    get outputNames() {
      return s.outputNames;
    },
    run: (feeds, fetches) => enqueue(() => (fetches ? s.run(feeds, fetches) : s.run(feeds))),
    release: () => enqueue(() => s.release()),
  });
  return {
    Tensor: ort.Tensor,
    InferenceSession: { create: (model, options) => enqueue(() => ort.InferenceSession.create(model, options)).then(wrap) },
  };
}
