/**
 * Which task, and which of its items: the offline task shipped with DropLab (the default), a JSONL file
 * ({"context", "choices", "gold"} a line), or a built-in lm-eval task read from the Hub by name; all
 * items, the first N, or a seeded subsample of N. "Score" chooses it (the runner scores it on the
 * baseline and the current drops).
 */
import { type ChangeEvent, useState } from 'react';
import { BUILTIN_TASKS, type BuiltinTaskName } from '../../engine/api';
import { DEFAULT_TASK, MAX_TASK_LIMIT, MAX_TASK_SEED, type TaskChoice } from '../../state/tasks';
import { useWorkbench } from '../context';
import { useTasks } from './use-tasks';

type Kind = 'offline' | 'jsonl' | 'builtin';
type Mode = 'all' | 'first' | 'sample';

function toInt(v: string, min: number, max: number): number | null {
  const n = Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
}

export function TaskPicker() {
  const tasks = useTasks();
  const choice = useWorkbench((s) => s.tasks.choice);
  const ready = useWorkbench((s) => s.model.status === 'ready');
  const start = choice ?? DEFAULT_TASK;
  const [kind, setKind] = useState<Kind>(start.source.kind);
  const [builtin, setBuiltin] = useState<BuiltinTaskName>(
    start.source.kind === 'builtin' ? start.source.name : 'arc_easy',
  );
  const [file, setFile] = useState<{ name: string; text: string } | null>(
    start.source.kind === 'jsonl' ? { name: start.source.name, text: start.source.text } : null,
  );
  const [mode, setMode] = useState<Mode>(start.limit === null ? 'all' : start.seed === null ? 'first' : 'sample');
  const [limit, setLimit] = useState(String(start.limit ?? 100));
  const [seed, setSeed] = useState(String(start.seed ?? 1234));

  const n = mode === 'all' ? null : toInt(limit, 1, MAX_TASK_LIMIT);
  const s = mode === 'sample' ? toInt(seed, 0, MAX_TASK_SEED) : null;
  const invalid = (mode !== 'all' && n === null) || (mode === 'sample' && s === null) || (kind === 'jsonl' && !file);

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const f = e.target.files?.[0];
    if (f) setFile({ name: f.name, text: await f.text() });
  };
  const score = () => {
    if (invalid) return;
    if (kind === 'jsonl' && file) {
      void tasks.chooseJsonl(file.name, file.text, n, s);
      return;
    }
    const c: TaskChoice = {
      source: kind === 'offline' ? { kind: 'offline' } : { kind: 'builtin', name: builtin },
      limit: n,
      seed: s,
    };
    void tasks.choose(c);
  };

  return (
    <div className="task-picker" data-testid="task-picker">
      <label className="inline-select">
        Task
        <select value={kind} onChange={(e) => setKind(e.target.value as Kind)} data-testid="task-kind">
          <option value="offline">Word completion (offline, shipped)</option>
          <option value="jsonl">A JSONL file…</option>
          <option value="builtin">A built-in lm-eval task (from the Hub)</option>
        </select>
      </label>
      {kind === 'builtin' && (
        <label className="inline-select">
          name
          <select
            value={builtin}
            onChange={(e) => setBuiltin(e.target.value as BuiltinTaskName)}
            data-testid="task-builtin"
          >
            {BUILTIN_TASKS.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      )}
      {kind === 'jsonl' && (
        <label className="task-file">
          <input type="file" accept=".jsonl,.json,.txt" onChange={onFile} data-testid="task-file" />
          {file ? <span className="panel-note">{file.name}</span> : null}
        </label>
      )}
      <fieldset className="segmented" aria-label="Items">
        {(['all', 'first', 'sample'] as const).map((m) => (
          <label key={m} className={mode === m ? 'on' : ''}>
            <input type="radio" name="task-mode" checked={mode === m} onChange={() => setMode(m)} />
            {m === 'all' ? 'all items' : m === 'first' ? 'first N' : 'seeded sample'}
          </label>
        ))}
      </fieldset>
      {mode !== 'all' && (
        <label className="inline-select">
          N
          <input
            type="number"
            min={1}
            max={MAX_TASK_LIMIT}
            value={limit}
            onChange={(e) => setLimit(e.target.value)}
            className="task-number"
            data-testid="task-limit"
          />
        </label>
      )}
      {mode === 'sample' && (
        <label className="inline-select">
          seed
          <input
            type="number"
            min={0}
            max={MAX_TASK_SEED}
            value={seed}
            onChange={(e) => setSeed(e.target.value)}
            className="task-number"
            data-testid="task-seed"
          />
        </label>
      )}
      <button type="button" onClick={score} disabled={!ready || invalid} data-testid="task-score">
        Score
      </button>
      {choice && (
        <button
          type="button"
          className="secondary-button"
          onClick={() => void tasks.choose(null)}
          data-testid="task-clear"
        >
          No task
        </button>
      )}
    </div>
  );
}
