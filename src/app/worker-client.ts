/**
 * The one place the page creates the engine worker, and its one proxy (clientFor): an EngineClient
 * (src/engine/api.ts) whose callbacks travel as comlink proxies, whose rejections (SerializedErrors
 * from the worker) are rebuilt into named DropLabErrors with errorFromJSON, and whose late progress is
 * dropped. A WorkerWatchdog (worker-watchdog.ts) watches the
 * worker: its error and messageerror events and a heartbeat while calls are in flight; a dead worker is
 * reported through init's onDeviceLost callback (cause 'engine'), like a lost GPU device.
 */
import * as Comlink from 'comlink';
import {
  type BackendReport,
  ENGINE_CALLS,
  type EngineApi,
  type EngineCall,
  type EngineClient,
  type SerializedError,
} from '../engine/api';
import { DeviceLostError, errorFromJSON, RuntimeError } from '../engine/errors';
import { isPong, PING_KEY } from '../../workers/heartbeat';
import { WorkerWatchdog } from './worker-watchdog';

function isSerializedError(e: unknown): e is SerializedError {
  return (
    !!e &&
    typeof e === 'object' &&
    typeof (e as SerializedError).code === 'string' &&
    typeof (e as SerializedError).message === 'string'
  );
}

export function rebuildError(e: unknown): Error {
  if (isSerializedError(e)) return errorFromJSON(e);
  if (e instanceof Error) return new RuntimeError(e.message);
  return new RuntimeError(String(e));
}

/** Await a worker call, rebuilding its rejection into the named DropLabError. */
export async function call<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw rebuildError(e);
  }
}

/** A callback as a comlink proxy (undefined stays undefined). */
export const cb = <F extends (...a: never[]) => void>(f?: F) => (f ? Comlink.proxy(f) : undefined);

/** What clientFor needs of a watchdog: calls run under it, progress counts as a sign of life. */
export interface CallWatch {
  track<T>(start: () => Promise<T>): Promise<T>;
  heard(): void;
  /** Who to tell when the worker dies (set by init). */
  onDead: ((message: string) => void) | null;
}

/**
 * A progress callback that goes quiet once its call has settled: a report still travelling from the
 * worker (callbacks come back on their own message channel) is dropped rather than shown after the result.
 */
function untilSettled<F extends (...a: never[]) => void>(f: F | undefined, alive: (f?: F) => F | undefined) {
  if (!f) return { fn: undefined, settle: () => {} };
  let open = true;
  const g = alive(f)!;
  const fn = ((...a: Parameters<F>) => {
    if (open) g(...a);
  }) as F;
  return { fn, settle: () => (open = false) };
}

/**
 * The one proxy of the engine worker: wraps any EngineClient-shaped remote (comlink's, or a test
 * double) into an EngineClient. Callbacks travel as comlink proxies; rejections are rebuilt into named
 * DropLabErrors (errorFromJSON); progress that arrives after its call settled is dropped. With a
 * `watch`, the engine's queued calls and the host calls run under it (rejected at once if the worker
 * dies), and their progress reports count as signs of life; the export, generation and speed calls
 * run outside it, as they always have (their long quantization and decoding steps answer no pings).
 */
export function clientFor(remote: Comlink.Remote<EngineClient>, watch?: CallWatch): EngineClient {
  const alive = <F extends (...a: never[]) => void>(f?: F): F | undefined =>
    f && watch
      ? (((...a: Parameters<F>) => {
          watch.heard();
          f(...a);
        }) as F)
      : f;
  /** Run a call (under the watch when `watched`), with its progress callback closed once it settles. */
  const run = <T, F extends (...a: never[]) => void>(
    onProgress: F | undefined,
    start: (progress: F | undefined) => Promise<T>,
    watched = true,
  ): Promise<T> => {
    const p = untilSettled(onProgress, watched ? alive : (f) => f);
    const go = () => call(start(cb(p.fn))).finally(p.settle);
    return watch && watched ? watch.track(go) : go();
  };
  // Every EngineApi call from the one table (src/engine/api.ts): callbacks as comlink proxies, the
  // progress callback closed once the call settles, 'queue' calls under the watch.
  const forward = (name: string, c: EngineCall) => {
    const at = c.progress ?? -1;
    return (...args: unknown[]) =>
      run(
        args[at] as ((...a: never[]) => void) | undefined,
        (progress) =>
          (remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name](
            ...args.map((a, i) => (i === at ? progress : typeof a === 'function' ? Comlink.proxy(a) : a)),
          ),
        c.lane === 'queue',
      );
  };
  const engineCalls = Object.fromEntries(
    Object.entries(ENGINE_CALLS as Record<string, EngineCall>).map(([name, c]) => [name, forward(name, c)]),
  ) as unknown as Omit<EngineApi, 'cancel'>;
  return {
    init: (opts, onDeviceLost) => {
      if (watch) watch.onDead = (message) => onDeviceLost?.(message, 'engine');
      return run(undefined, () => remote.init(opts, cb(onDeviceLost)) as Promise<BackendReport>);
    },
    inspect: (source) => run(undefined, () => remote.inspect(source)),
    loadModel: (source, onProgress) => run(onProgress, (p) => remote.loadModel(source, p)),
    clearCache: (source) => run(undefined, () => remote.clearCache(source)),
    setHubToken: (token) => run(undefined, () => remote.setHubToken(token)),
    setWeightPrecision: (precision) => run(undefined, () => remote.setWeightPrecision(precision)),
    ...engineCalls,
    cancel: (task) => {
      void remote.cancel(task);
    },
  };
}

/**
 * The watchdog of a real Worker: its error and messageerror events, and heartbeats answered by
 * workers/heartbeat.ts. A dead worker is terminated (its memory freed) once the page is told.
 */
export function watchWorker(worker: Worker): WorkerWatchdog & CallWatch {
  const dog = new WorkerWatchdog({
    ping: (seq) => worker.postMessage({ [PING_KEY]: seq }),
    onDead: (message) => {
      worker.terminate();
      w.onDead?.(message);
    },
    error: (message) => new DeviceLostError(message),
  });
  const w = Object.assign(dog, { onDead: null as ((message: string) => void) | null });
  worker.addEventListener('message', (ev: MessageEvent) => {
    const seq = isPong(ev.data);
    if (seq !== null) dog.pong(seq);
    else dog.heard();
  });
  worker.addEventListener('error', (ev: ErrorEvent) => {
    dog.fail(`the engine worker failed: ${ev.message || 'an error nothing in it caught'}`);
  });
  worker.addEventListener('messageerror', () => dog.fail('a message from the engine worker could not be read'));
  return w;
}

/** The client createWorkerClient() made (the export, generation and speed panels use it too). */
let shared: EngineClient | null = null;

export function createWorkerClient(): EngineClient {
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'droplab-engine',
  });
  const watch = watchWorker(worker);
  shared = clientFor(Comlink.wrap<EngineClient>(worker), watch);
  return shared;
}

/** The engine worker's client, once createWorkerClient() has made it (null before, and in tests). */
export function sharedWorkerClient(): EngineClient | null {
  return shared;
}
