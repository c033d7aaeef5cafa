/** The LabController (curves, per-token view, classroom presets) of the workbench in context. */
import { useMemo } from 'react';
import { type LabController, labFor } from '../../state/lab-controller';
import { useController, useWorkbenchStore } from '../context';

export function useLab(): LabController {
  const store = useWorkbenchStore();
  const controller = useController();
  return useMemo(() => labFor(store, controller), [store, controller]);
}
