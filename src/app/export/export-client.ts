/**
 * The engine as the export, generation and speed panels see it: the part of EngineApi
 * (src/engine/api.ts) they call. The real one is the app's one worker proxy (src/app/worker-client.ts),
 * the same client the controller holds; tests provide their own through <ExportClientProvider>.
 */
import { createContext, createElement, type ReactNode, useContext } from 'react';
import type { EngineApi } from '../../engine/api';
import { RuntimeError } from '../../engine/errors';
import { sharedWorkerClient } from '../worker-client';

export type ExportClient = Pick<EngineApi, 'previewExport' | 'exportZip' | 'generate' | 'measureSpeed' | 'cancel'>;

/** The client of the app's engine worker (made by createWorkerClient at start). */
function sharedExportClient(): ExportClient {
  const client = sharedWorkerClient();
  if (!client) throw new RuntimeError('The engine worker has not started.');
  return client;
}

const ExportClientContext = createContext<(() => ExportClient) | null>(null);

export function ExportClientProvider({ client, children }: { client: ExportClient; children: ReactNode }) {
  return createElement(ExportClientContext.Provider, { value: () => client }, children);
}

/** A getter (not the client itself): nothing touches the worker until a panel acts. */
export function useExportClient(): () => ExportClient {
  return useContext(ExportClientContext) ?? sharedExportClient;
}
