/**
 * The engine as the store's controller sees it: the worker's API (workers/protocol.ts) with errors
 * already rebuilt as named DropLabErrors (src/app/worker-client.ts does that for the real worker;
 * tests pass a fake).
 */
export type { EngineWorkerApi as EngineClient } from '../../workers/protocol';
