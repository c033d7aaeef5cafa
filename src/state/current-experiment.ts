/** The experiment the workbench shows, read from the store (what links, the URL and saved experiments hold), and decoded. */
import { NO_DROPS } from './drops';
import { decodeExperiment, type Experiment, encodeExperiment } from './share-link';
import { linkTask } from './task-link';
import { DEFAULT_MODEL, DEFAULT_SEQ_LEN, DEFAULT_TEXT, DEFAULT_WINDOWS, type WorkbenchState } from './store';

export function defaultExperiment(): Experiment {
  return {
    model: DEFAULT_MODEL,
    drops: NO_DROPS,
    text: DEFAULT_TEXT,
    seqLen: DEFAULT_SEQ_LEN,
    windows: DEFAULT_WINDOWS,
    metric: 'cosine',
  };
}

/** The experiment on screen, or null before a model is loaded. */
export function experimentOf(s: WorkbenchState): Experiment | null {
  const model = s.model.info?.source;
  if (!model) return null;
  const e: Experiment = {
    model,
    drops: s.drops.current,
    text: s.data.text,
    seqLen: s.data.seqLen,
    windows: s.data.windows,
    metric: s.ui.metric,
  };
  if (s.imported.shown) e.imported = s.imported.shown;
  // A JSONL task too large for a link is left out of it (the Tasks panel says so).
  const task = linkTask(s.tasks.choice);
  if (task) e.task = task;
  return s.classroom.on ? { ...e, classroom: true } : e;
}

/** Its share-link hash (without '#'), or null when there is none or it cannot be encoded. */
export function hashOf(s: WorkbenchState): string | null {
  const e = experimentOf(s);
  if (!e) return null;
  try {
    return encodeExperiment(e);
  } catch {
    return null;
  }
}

/** Decode a link's or a saved experiment's hash; null, after `refused` says why, when it does not decode. */
export function decodeOr(hash: string, refused: (e: unknown) => void): Experiment | null {
  try {
    return decodeExperiment(hash);
  } catch (e) {
    refused(e);
    return null;
  }
}
