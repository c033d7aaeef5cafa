/**
 * Which items flip between two results of the same task (the item view: "which items flip when a
 * sublayer is dropped"). Items are matched by their index in the task; pure, no runtime.
 */
import { TaskError } from '../errors';
import type { TaskResult } from './types';

export interface TaskFlips {
  /** Right in `base`, wrong in `other`. */
  lost: number[];
  /** Wrong in `base`, right in `other`. */
  gained: number[];
  /** Items in both results. */
  compared: number;
}

export function taskFlips(base: TaskResult, other: TaskResult, norm = false): TaskFlips {
  if (base.task !== other.task || base.kind !== other.kind)
    throw new TaskError(
      `Results of different tasks (${base.task}, ${other.task}) cannot be compared item by item.`,
      {},
    );
  const ok = (r: TaskResult['items'][number]) => (norm ? r.correctNorm : r.correct);
  const byIndex = new Map(other.items.map((r) => [r.index, r]));
  const flips: TaskFlips = { lost: [], gained: [], compared: 0 };
  for (const a of base.items) {
    const b = byIndex.get(a.index);
    if (!b) continue;
    flips.compared++;
    if (ok(a) && !ok(b)) flips.lost.push(a.index);
    else if (!ok(a) && ok(b)) flips.gained.push(a.index);
  }
  return flips;
}
