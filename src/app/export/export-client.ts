/**
 * The export, generation and speed panels' view of the engine worker: ExportWorkerApi
 * (workers/protocol.ts) with callbacks sent as comlink proxies and rejections rebuilt into named
 * DropLabErrors. The real client wraps the same worker the controller uses (worker-client.ts); tests
 * provide their own through <ExportClientProvider>.
 */
import * as Comlink from 'comlink';
import { createContext, createElement, type ReactNode, useContext } from 'react';
import { RuntimeError } from '../../engine/errors';
import type { ExportWorkerApi } from '../../../workers/protocol';
import { call, cb, sharedWorkerRemote } from '../worker-client';

export type ExportClient = ExportWorkerApi;

/** Wrap a comlink remote (or any ExportWorkerApi-shaped object) into an ExportClient. */
export function exportClientFor(remote: Comlink.Remote<ExportWorkerApi>): ExportClient {
  return {
    previewExport: (req) => call(remote.previewExport(req)),
    exportZip: (req, onChunks, onProgress) => call(remote.exportZip(req, Comlink.proxy(onChunks), cb(onProgress))),
    cancelExport: () => void remote.cancelExport(),
    generate: (req, onEvent) => call(remote.generate(req, Comlink.proxy(onEvent))),
    cancelGenerate: () => void remote.cancelGenerate(),
    measureSpeed: (req, onProgress) => call(remote.measureSpeed(req, cb(onProgress))),
    cancelSpeed: () => void remote.cancelSpeed(),
  };
}

let defaultClient: ExportClient | null = null;

/** The client of the app's engine worker (made on first use). */
function sharedExportClient(): ExportClient {
  if (!defaultClient) {
    const remote = sharedWorkerRemote();
    if (!remote) throw new RuntimeError('The engine worker has not started.');
    defaultClient = exportClientFor(remote);
  }
  return defaultClient;
}

const ExportClientContext = createContext<(() => ExportClient) | null>(null);

export function ExportClientProvider({ client, children }: { client: ExportClient; children: ReactNode }) {
  return createElement(ExportClientContext.Provider, { value: () => client }, children);
}

/** A getter (not the client itself): nothing touches the worker until a panel acts. */
export function useExportClient(): () => ExportClient {
  return useContext(ExportClientContext) ?? sharedExportClient;
}
