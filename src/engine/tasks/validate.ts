/** A TaskItems object checked before scoring (it may come from a file, a link or another thread). */
import { TaskError } from '../errors';
import type { TaskItems } from './types';

const KINDS = ['choice', 'partial', 'lambada'];

export function checkTaskItems(task: TaskItems): void {
  if (!task || typeof task !== 'object' || !Array.isArray(task.items))
    throw new TaskError('The task has no list of items.', {});
  const name = typeof task.name === 'string' && task.name ? task.name : 'the task';
  if (!KINDS.includes(task.kind))
    throw new TaskError(`${name}: unknown task kind "${String(task.kind)}" (expected ${KINDS.join(', ')}).`, {
      kind: task.kind,
    });
  if (typeof task.delimiter !== 'string') throw new TaskError(`${name}: the delimiter must be a string.`, {});
  task.items.forEach((it, i) => {
    const where = `${name}, item ${i + 1}`;
    if (!it || typeof it.context !== 'string')
      throw new TaskError(`${where}: "context" must be a string.`, { item: i });
    if (!Array.isArray(it.choices) || it.choices.length === 0 || it.choices.some((c) => typeof c !== 'string'))
      throw new TaskError(`${where}: "choices" must be a non-empty list of strings.`, { item: i });
    if (task.kind === 'lambada' && it.choices.length !== 1)
      throw new TaskError(`${where}: a LAMBADA-style item has exactly one continuation.`, { item: i });
    if (!Number.isInteger(it.gold) || it.gold < 0 || it.gold >= it.choices.length)
      throw new TaskError(
        `${where}: "gold" is ${JSON.stringify(it.gold)}; it must be a choice index from 0 to ${it.choices.length - 1}.`,
        { item: i, gold: it.gold },
      );
    if (task.kind === 'partial' && typeof it.target !== 'string')
      throw new TaskError(`${where}: a partial-scoring item needs the shared continuation "target".`, { item: i });
  });
}
