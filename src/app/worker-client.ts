/**
 * The one place the page creates the engine worker. Wraps the comlink proxy into an EngineClient:
 * callbacks travel as comlink proxies, and a rejection (a SerializedError from the worker) is rebuilt
 * into the named DropLabError with errorFromJSON. A WorkerWatchdog (worker-watchdog.ts) watches the
 * worker: its error and messageerror events and a heartbeat while calls are in flight; a dead worker is
 * reported through init's onDeviceLost callback (cause 'engine'), like a lost GPU device.
 */
import * as Comlink from 'comlink';
import type { SerializedError } from '../engine/api';
import { DeviceLostError, errorFromJSON, RuntimeError } from '../engine/errors';
import type { EngineClient } from '../state/engine-client';
import { isPong, PING_KEY } from '../../workers/heartbeat';
import type { BackendReport, EngineWorkerApi, ExportWorkerApi } from '../../workers/protocol';
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
 * Wrap any EngineWorkerApi-shaped remote (comlink's, or a test double) into an EngineClient. With a
 * `watch`, every call runs under it (rejected at once if the worker dies), and progress reports count as
 * signs of life.
 */
export function clientFor(remote: Comlink.Remote<EngineWorkerApi>, watch?: CallWatch): EngineClient {
  const run = <T>(start: () => Promise<T>): Promise<T> => (watch ? watch.track(() => call(start())) : call(start()));
  const alive = <F extends (...a: never[]) => void>(f?: F): F | undefined =>
    f && watch
      ? (((...a: Parameters<F>) => {
          watch.heard();
          f(...a);
        }) as F)
      : f;
  return {
    init: (opts, onDeviceLost) => {
      if (watch) watch.onDead = (message) => onDeviceLost?.(message, 'engine');
      return run(() => remote.init(opts, cb(onDeviceLost)) as Promise<BackendReport>);
    },
    inspect: (input) => run(() => remote.inspect(input)),
    loadModel: (input, onProgress) => run(() => remote.loadModel(input, cb(alive(onProgress)))),
    setText: (text, settings) => run(() => remote.setText(text, settings)),
    evaluate: (drop, onProgress) => run(() => remote.evaluate(drop, cb(alive(onProgress)))),
    analyze: (drop, onProgress) => run(() => remote.analyze(drop, cb(alive(onProgress)))),
    dropOne: (base, onProgress) => run(() => remote.dropOne(base, cb(alive(onProgress)))),
    plan: (req, onProgress) => run(() => remote.plan(req, cb(alive(onProgress)))),
    tokenDelta: (kind, layer, drop) => run(() => remote.tokenDelta(kind, layer, drop)),
    cancel: () => {
      void remote.cancel();
    },
    clearCache: (input) => run(() => remote.clearCache(input)),
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

/** The comlink endpoint of the worker createWorkerClient() made (the export panels use it too). */
let shared: Comlink.Remote<EngineWorkerApi & ExportWorkerApi> | null = null;

export function createWorkerClient(): EngineClient {
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'droplab-engine',
  });
  const watch = watchWorker(worker);
  shared = Comlink.wrap<EngineWorkerApi & ExportWorkerApi>(worker);
  return clientFor(shared, watch);
}

/** The engine worker's endpoint, once createWorkerClient() has made it (null before, and in tests). */
export function sharedWorkerRemote(): Comlink.Remote<EngineWorkerApi & ExportWorkerApi> | null {
  return shared;
}
