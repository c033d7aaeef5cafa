/**
 * Generic multiple-choice tasks as JSONL: one item a line, {"context": str, "choices": [str, ...],
 * "gold": int}; blank lines are skipped. Choices are appended to the context as given (delimiter '').
 * A line that is not an item is refused with its line number and what is wrong.
 */
import { TaskError } from '../errors';
import type { TaskItem, TaskItems } from './types';

export function parseTaskJsonl(text: string, name: string, source = name): TaskItems {
  const items: TaskItem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${name}, line ${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new TaskError(`${where} is not valid JSON (${(e as Error).message}).`, { line: i + 1 });
    }
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw new TaskError(`${where} is not an item: expected {"context": ..., "choices": [...], "gold": ...}.`, {
        line: i + 1,
      });
    const o = v as Record<string, unknown>;
    if (typeof o.context !== 'string')
      throw new TaskError(`${where}: "context" is missing or not a string.`, { line: i + 1, field: 'context' });
    if (!Array.isArray(o.choices) || o.choices.length === 0)
      throw new TaskError(`${where}: "choices" is missing or not a non-empty list.`, { line: i + 1, field: 'choices' });
    const bad = o.choices.findIndex((c) => typeof c !== 'string');
    if (bad >= 0) throw new TaskError(`${where}: choice ${bad} is not a string.`, { line: i + 1, field: 'choices' });
    if (!Number.isInteger(o.gold) || (o.gold as number) < 0 || (o.gold as number) >= o.choices.length)
      throw new TaskError(
        `${where}: "gold" is ${JSON.stringify(o.gold)}; it must be a choice index from 0 to ${o.choices.length - 1}.`,
        { line: i + 1, field: 'gold' },
      );
    items.push({ context: o.context, choices: o.choices as string[], gold: o.gold as number });
  });
  if (items.length === 0) throw new TaskError(`${name} holds no items (no non-blank lines).`, {});
  return { name, kind: 'choice', delimiter: '', items, source };
}
