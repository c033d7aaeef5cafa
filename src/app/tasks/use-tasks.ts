/** The TaskRunner (scoring the chosen task, src/state/task-runner.ts) of the workbench in context. */
import { useMemo } from 'react';
import { type TaskRunner, tasksFor } from '../../state/task-runner';
import { useController, useWorkbenchStore } from '../context';

export function useTasks(): TaskRunner {
  const store = useWorkbenchStore();
  const controller = useController();
  return useMemo(() => tasksFor(store, controller), [store, controller]);
}
