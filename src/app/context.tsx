/** React bindings of the store and controller (the store itself has no React in it). */
import { createContext, type ReactNode, useContext } from 'react';
import { useStore } from 'zustand';
import type { WorkbenchController } from '../state/controller';
import type { WorkbenchState, WorkbenchStore } from '../state/store';

interface Workbench {
  store: WorkbenchStore;
  controller: WorkbenchController;
}

const WorkbenchContext = createContext<Workbench | null>(null);

export function WorkbenchProvider({ store, controller, children }: Workbench & { children: ReactNode }) {
  return <WorkbenchContext.Provider value={{ store, controller }}>{children}</WorkbenchContext.Provider>;
}

function useWorkbenchContext(): Workbench {
  const w = useContext(WorkbenchContext);
  if (!w) throw new Error('useWorkbench outside <WorkbenchProvider>');
  return w;
}

/** Select from the store. The selector must return stored values (or primitives), not new objects. */
export function useWorkbench<T>(selector: (s: WorkbenchState) => T): T {
  return useStore(useWorkbenchContext().store, selector);
}

export function useController(): WorkbenchController {
  return useWorkbenchContext().controller;
}

/** The store itself (extension views hand it to their own controller, src/state/lab-controller.ts). */
export function useWorkbenchStore(): WorkbenchStore {
  return useWorkbenchContext().store;
}
