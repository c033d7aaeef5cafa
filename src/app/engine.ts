/** The one place the UI creates the engine worker and wraps it with comlink. */
import * as Comlink from 'comlink';
import type { EngineWorkerApi } from '../../workers/engine.worker';

export type { PingResult } from '../../workers/engine.worker';

let remote: Comlink.Remote<EngineWorkerApi> | null = null;

export function engine(): Comlink.Remote<EngineWorkerApi> {
  if (!remote) {
    const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
      type: 'module',
      name: 'droplab-engine',
    });
    remote = Comlink.wrap<EngineWorkerApi>(worker);
  }
  return remote;
}
