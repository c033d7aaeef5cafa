/**
 * The engine as the store's controller sees it: EngineClient (src/engine/api.ts), the worker's proxy
 * with errors already rebuilt as named DropLabErrors (src/app/worker-client.ts; tests pass a fake).
 */
export type { EngineClient } from '../engine/api';
