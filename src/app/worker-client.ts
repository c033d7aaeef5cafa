/**
 * The one place the page creates the engine worker. Wraps the comlink proxy into an EngineClient:
 * callbacks travel as comlink proxies, and a rejection (a SerializedError from the worker) is rebuilt
 * into the named DropLabError with errorFromJSON.
 */
import * as Comlink from 'comlink';
import type { SerializedError } from '../engine/api';
import { errorFromJSON, RuntimeError } from '../engine/errors';
import type { EngineClient } from '../state/engine-client';
import type { BackendReport, EngineWorkerApi, ExportWorkerApi } from '../../workers/protocol';

function isSerializedError(e: unknown): e is SerializedError {
  return !!e && typeof e === 'object' && typeof (e as SerializedError).code === 'string' && typeof (e as SerializedError).message === 'string';
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

/** Wrap any EngineWorkerApi-shaped remote (comlink's, or a test double) into an EngineClient. */
export function clientFor(remote: Comlink.Remote<EngineWorkerApi>): EngineClient {
  return {
    init: (opts, onDeviceLost) => call(remote.init(opts, cb(onDeviceLost)) as Promise<BackendReport>),
    inspect: (input) => call(remote.inspect(input)),
    loadModel: (input, onProgress) => call(remote.loadModel(input, cb(onProgress))),
    setText: (text, settings) => call(remote.setText(text, settings)),
    evaluate: (drop, onProgress) => call(remote.evaluate(drop, cb(onProgress))),
    analyze: (drop, onProgress) => call(remote.analyze(drop, cb(onProgress))),
    dropOne: (base, onProgress) => call(remote.dropOne(base, cb(onProgress))),
    plan: (req, onProgress) => call(remote.plan(req, cb(onProgress))),
    tokenDelta: (kind, layer, drop) => call(remote.tokenDelta(kind, layer, drop)),
    cancel: () => {
      void remote.cancel();
    },
    clearCache: (input) => call(remote.clearCache(input)),
  };
}

/** The comlink endpoint of the worker createWorkerClient() made (the export panels use it too). */
let shared: Comlink.Remote<EngineWorkerApi & ExportWorkerApi> | null = null;

export function createWorkerClient(): EngineClient {
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'droplab-engine' });
  shared = Comlink.wrap<EngineWorkerApi & ExportWorkerApi>(worker);
  return clientFor(shared);
}

/** The engine worker's endpoint, once createWorkerClient() has made it (null before, and in tests). */
export function sharedWorkerRemote(): Comlink.Remote<EngineWorkerApi & ExportWorkerApi> | null {
  return shared;
}
