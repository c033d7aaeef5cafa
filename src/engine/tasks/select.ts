/**
 * Which items of a task are scored (TaskOptions): all, the first `limit`, or a seeded subsample of
 * `limit` items without replacement (mulberry32, partial Fisher-Yates), kept in dataset order.
 */
import { TaskError } from '../errors';
import { mulberry32 } from '../random';
import type { TaskOptions, TaskSelection } from './types';

export function selectItems(total: number, opts: TaskOptions = {}): { indices: number[]; selection: TaskSelection } {
  const { limit, seed } = opts;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new TaskError(`The item count must be a whole number of at least 1 (got ${limit}).`, { limit });
  if (seed !== undefined && (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff))
    throw new TaskError(`The seed must be a whole number from 0 to 4294967295 (got ${seed}).`, { seed });
  if (total === 0) throw new TaskError('The task has no items.', { total });
  const n = Math.min(limit ?? total, total);
  if (n === total) {
    return {
      indices: Array.from({ length: total }, (_, i) => i),
      selection: { mode: 'all', total, n, ...(seed !== undefined ? { seed } : {}) },
    };
  }
  if (seed === undefined)
    return { indices: Array.from({ length: n }, (_, i) => i), selection: { mode: 'first', total, n } };
  const rand = mulberry32(seed);
  const pool = Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rand() * (total - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const indices = pool.slice(0, n).sort((a, b) => a - b);
  return { indices, selection: { mode: 'sample', total, n, seed } };
}
