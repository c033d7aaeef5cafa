/**
 * Built-in tasks: the Hub datasets lm-evaluation-harness uses, with its prompts and preprocessing
 * (lm_eval/tasks/<task>/*.yaml and utils.py; zero-shot, no description, target_delimiter ' ').
 * Each definition names the dataset, config and split lm-eval evaluates on (test when the task has a
 * test split, else validation), the columns it reads, and how a row becomes an item. Pure: no I/O.
 */
import { TaskError } from '../errors';
import type { BuiltinTaskName, TaskItem, TaskKind } from './types';

export type Row = Record<string, unknown>;

export interface BuiltinTask {
  name: BuiltinTaskName;
  dataset: string;
  config: string;
  split: string;
  kind: TaskKind;
  delimiter: string;
  columns: string[];
  /** false: acc only (lm-eval's boolq lists no acc_norm). */
  accNorm?: boolean;
  /** Row (dataset order, 0-based) -> item; TaskError naming the row and column for a value it cannot use. */
  item(row: Row, i: number): TaskItem;
}

const str = (task: string, row: Row, i: number, col: string): string => {
  const v = row[col];
  if (typeof v !== 'string')
    throw new TaskError(`${task}, row ${i}: column "${col}" is not a string.`, { row: i, column: col });
  return v;
};

const strList = (task: string, v: unknown, i: number, col: string): string[] => {
  const a = Array.isArray(v) ? v : null;
  if (!a || a.some((x) => typeof x !== 'string'))
    throw new TaskError(`${task}, row ${i}: column "${col}" is not a list of strings.`, { row: i, column: col });
  return a as string[];
};

const int = (task: string, row: Row, i: number, col: string): number => {
  const v = row[col];
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw new TaskError(`${task}, row ${i}: column "${col}" is not an integer label.`, { row: i, column: col });
  return n;
};

const gold = (task: string, g: number, n: number, i: number, col: string): number => {
  if (g < 0 || g >= n)
    throw new TaskError(`${task}, row ${i}: column "${col}" gives answer ${g}, not one of the ${n} choices.`, {
      row: i,
      column: col,
    });
  return g;
};

/** ARC and OpenBookQA: choices {text: [...], label: [...]}, answerKey a label. */
function labelled(task: string, row: Row, i: number, key: string): { choices: string[]; gold: number } {
  const c = row.choices as { text?: unknown; label?: unknown } | null;
  if (!c || typeof c !== 'object')
    throw new TaskError(`${task}, row ${i}: column "choices" is not a {text, label} struct.`, {
      row: i,
      column: 'choices',
    });
  const text = strList(task, c.text, i, 'choices.text');
  const labels = strList(task, c.label, i, 'choices.label');
  const g = labels.indexOf(key);
  if (g < 0)
    throw new TaskError(
      `${task}, row ${i}: column "answerKey" is "${key}", not one of the labels ${labels.join(', ')}.`,
      {
        row: i,
        column: 'answerKey',
      },
    );
  return { choices: text, gold: gold(task, g, text.length, i, 'answerKey') };
}

/** lm-eval's hellaswag preprocess: strip, " [title]" -> ". ", drop [bracketed] artifacts, "  " -> " ". */
export function hellaswagPreprocess(text: string): string {
  return text
    .trim()
    .replaceAll(' [title]', '. ')
    .replace(/\[.*?\]/g, '')
    .replaceAll('  ', ' ');
}

/** Python's str.capitalize(): first character upper case, the rest lower case. */
export function capitalize(s: string): string {
  const cp = [...s];
  if (cp.length === 0) return s;
  return cp[0].toUpperCase() + cp.slice(1).join('').toLowerCase();
}

function arc(name: 'arc_easy' | 'arc_challenge', config: string): BuiltinTask {
  return {
    name,
    dataset: 'allenai/ai2_arc',
    config,
    split: 'test',
    kind: 'choice',
    delimiter: ' ',
    columns: ['question', 'choices', 'answerKey'],
    item(row, i) {
      const q = str(name, row, i, 'question');
      const { choices, gold: g } = labelled(name, row, i, str(name, row, i, 'answerKey'));
      return { context: `Question: ${q}\nAnswer:`, choices, gold: g };
    },
  };
}

export const BUILTIN: Record<BuiltinTaskName, BuiltinTask> = {
  arc_easy: arc('arc_easy', 'ARC-Easy'),
  arc_challenge: arc('arc_challenge', 'ARC-Challenge'),
  piqa: {
    name: 'piqa',
    dataset: 'baber/piqa',
    config: 'default',
    split: 'validation',
    kind: 'choice',
    delimiter: ' ',
    columns: ['goal', 'sol1', 'sol2', 'label'],
    item(row, i) {
      const choices = [str('piqa', row, i, 'sol1'), str('piqa', row, i, 'sol2')];
      return {
        context: `Question: ${str('piqa', row, i, 'goal')}\nAnswer:`,
        choices,
        gold: gold('piqa', int('piqa', row, i, 'label'), 2, i, 'label'),
      };
    },
  },
  hellaswag: {
    name: 'hellaswag',
    dataset: 'Rowan/hellaswag',
    config: 'default',
    split: 'validation',
    kind: 'choice',
    delimiter: ' ',
    columns: ['activity_label', 'ctx_a', 'ctx_b', 'endings', 'label'],
    item(row, i) {
      const t = 'hellaswag';
      const ctx = `${str(t, row, i, 'ctx_a')} ${capitalize(str(t, row, i, 'ctx_b'))}`;
      const choices = strList(t, row.endings, i, 'endings').map(hellaswagPreprocess);
      return {
        context: hellaswagPreprocess(`${str(t, row, i, 'activity_label')}: ${ctx}`),
        choices,
        gold: gold(t, int(t, row, i, 'label'), choices.length, i, 'label'),
      };
    },
  },
  winogrande: {
    name: 'winogrande',
    dataset: 'allenai/winogrande',
    config: 'winogrande_xl',
    split: 'validation',
    kind: 'partial',
    delimiter: ' ',
    columns: ['sentence', 'option1', 'option2', 'answer'],
    item(row, i) {
      const t = 'winogrande';
      const s = str(t, row, i, 'sentence');
      const idx = s.indexOf('_');
      if (idx < 0)
        throw new TaskError(`${t}, row ${i}: column "sentence" has no "_" blank to fill.`, {
          row: i,
          column: 'sentence',
        });
      const answer = str(t, row, i, 'answer');
      if (answer !== '1' && answer !== '2')
        throw new TaskError(`${t}, row ${i}: column "answer" is "${answer}", not "1" or "2".`, {
          row: i,
          column: 'answer',
        });
      return {
        context: '',
        choices: [s.slice(0, idx) + str(t, row, i, 'option1'), s.slice(0, idx) + str(t, row, i, 'option2')],
        target: s.slice(idx + 1).trim(),
        gold: answer === '1' ? 0 : 1,
      };
    },
  },
  boolq: {
    name: 'boolq',
    dataset: 'aps/super_glue',
    config: 'boolq',
    split: 'validation',
    kind: 'choice',
    delimiter: ' ',
    accNorm: false,
    columns: ['passage', 'question', 'label'],
    item(row, i) {
      return {
        context: `${str('boolq', row, i, 'passage')}\nQuestion: ${str('boolq', row, i, 'question')}?\nAnswer:`,
        choices: ['no', 'yes'],
        gold: gold('boolq', int('boolq', row, i, 'label'), 2, i, 'label'),
      };
    },
  },
  openbookqa: {
    name: 'openbookqa',
    dataset: 'allenai/openbookqa',
    config: 'main',
    split: 'test',
    kind: 'choice',
    delimiter: ' ',
    columns: ['question_stem', 'choices', 'answerKey'],
    item(row, i) {
      const key = str('openbookqa', row, i, 'answerKey').trimStart();
      const { choices, gold: g } = labelled('openbookqa', row, i, key);
      return { context: str('openbookqa', row, i, 'question_stem'), choices, gold: g };
    },
  },
  lambada_openai: {
    name: 'lambada_openai',
    dataset: 'EleutherAI/lambada_openai',
    config: 'default',
    split: 'test',
    kind: 'lambada',
    delimiter: '',
    columns: ['text'],
    item(row, i) {
      const words = str('lambada_openai', row, i, 'text').split(' ');
      return { context: words.slice(0, -1).join(' '), choices: [` ${words[words.length - 1]}`], gold: 0 };
    },
  },
};
