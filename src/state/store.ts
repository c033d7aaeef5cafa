/** Workbench state shared by the UI components. Engine results are plain data from src/engine/api. */
import { create } from 'zustand';
import type { PingResult } from '../../workers/engine.worker';

export type BackendStatus = { state: 'probing' } | { state: 'ready'; ping: PingResult } | { state: 'error'; message: string };

interface WorkbenchState {
  backend: BackendStatus;
  setBackend(status: BackendStatus): void;
}

export const useWorkbench = create<WorkbenchState>()((set) => ({
  backend: { state: 'probing' },
  setBackend: (backend) => set({ backend }),
}));
