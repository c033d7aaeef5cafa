/**
 * Classroom mode: large type, a simpler page, presets and a guided tour on the bundled model. The store
 * slice, the tour's steps and state machine, and the presets (pure).
 *
 * Presets follow LLM-Drop's one-shot rule on the full model's importance (the baseline analysis the
 * workbench already holds): the n sublayers of a kind with the lowest 1 - cos, ties to the lower layer
 * (the engine planner's order, src/engine/planner.ts), so applying one needs no engine call before its
 * perplexity is computed.
 */
import type { DropConfig, Importance } from '../engine/api';
import { sortedDrops } from './drops';

// ---------------------------------------------------------------------------------------------------
// The tour.

export type PresetId = 'full' | 'attn-third' | 'attn-two-thirds' | 'mlp-third' | 'block-third';

export interface TourStep {
  id: 'heatmap' | 'attention' | 'mlp' | 'curves' | 'accuracy' | 'done';
  title: string;
  /** data-chart / data-testid of the panel the step is about (scrolled into view and outlined). */
  target: string | null;
  /** The presets offered on this step. */
  presets: PresetId[];
}

export const TOUR_STEPS: readonly TourStep[] = [
  { id: 'heatmap', title: 'What the heatmap shows', target: 'sublayers', presets: [] },
  {
    id: 'attention',
    title: 'Drop the least important attention layers',
    target: 'perplexity',
    presets: ['attn-third', 'attn-two-thirds'],
  },
  { id: 'mlp', title: 'Now try MLP layers, and compare', target: 'perplexity', presets: ['mlp-third', 'attn-third'] },
  { id: 'curves', title: 'All four strategies at once', target: 'curves', presets: ['block-third', 'full'] },
  { id: 'accuracy', title: 'Perplexity and accuracy can disagree', target: 'tasks', presets: [] },
  { id: 'done', title: 'Your turn', target: null, presets: ['full'] },
];

export interface TourState {
  open: boolean;
  step: number;
  /** Steps seen so far (for the step list). */
  visited: number[];
}

export type TourAction =
  | { type: 'start' }
  | { type: 'next' }
  | { type: 'back' }
  | { type: 'goto'; step: number }
  | { type: 'close' };

export const TOUR_CLOSED: TourState = { open: false, step: 0, visited: [] };

export function tourReducer(s: TourState, a: TourAction, steps = TOUR_STEPS.length): TourState {
  const at = (step: number): TourState => {
    const k = Math.max(0, Math.min(steps - 1, Math.floor(step)));
    return {
      open: true,
      step: k,
      visited: s.visited.includes(k) ? s.visited : [...s.visited, k].sort((x, y) => x - y),
    };
  };
  switch (a.type) {
    case 'start':
      return { ...at(0), visited: [0] };
    case 'next':
      if (!s.open) return s;
      if (s.step >= steps - 1) return { ...s, open: false };
      return at(s.step + 1);
    case 'back':
      return s.open ? at(s.step - 1) : s;
    case 'goto':
      return Number.isFinite(a.step) ? at(a.step) : s;
    case 'close':
      return { ...s, open: false };
  }
}

/**
 * The accuracy step (issue 14): two single attention drops of the bundled model that cost about the same
 * perplexity but not the same accuracy on the offline task (all 300 items). Measured with the CLI
 * (`droplab eval` on moby-dick-heldout, 8 windows of 256 tokens, the workbench's default; `droplab
 * tasks` on public/tasks/word-completion.jsonl): the table of every single drop is in docs/VIEWS.md.
 */
export const ACCURACY_CONTRAST = {
  model: 'droplab-byte-12l',
  items: 300,
  baseline: { perplexity: 4.806, acc: 0.797, accStderr: 0.023 },
  /** Perplexity up 7.1%, accuracy where it was. */
  keeps: {
    drop: { attn: [9], mlp: [] } as DropConfig,
    perplexity: 5.146,
    acc: 0.8,
    accStderr: 0.023,
    lost: 5,
    gained: 6,
  },
  /** About the same perplexity (+6.6%), accuracy 3.7 points lower. */
  costs: {
    drop: { attn: [7], mlp: [] } as DropConfig,
    perplexity: 5.122,
    acc: 0.76,
    accStderr: 0.025,
    lost: 17,
    gained: 6,
  },
} as const;

// ---------------------------------------------------------------------------------------------------
// Presets.

export interface Preset {
  id: PresetId;
  label: string;
  /** The drops, or null while the full model's importance is not known yet. */
  drop: DropConfig | null;
}

/** The n lowest-importance layers of one score list (NaN skipped), ties to the lower layer. */
export function leastImportant(scores: readonly number[], n: number): number[] {
  return scores
    .map((score, layer) => ({ score, layer }))
    .filter((c) => Number.isFinite(c.score))
    .sort((a, b) => a.score - b.score || a.layer - b.layer)
    .slice(0, Math.max(0, n))
    .map((c) => c.layer)
    .sort((a, b) => a - b);
}

export function presetCounts(numLayers: number): { third: number; twoThirds: number } {
  const third = Math.max(1, Math.round(numLayers / 3));
  return { third, twoThirds: Math.max(third, Math.min(numLayers, Math.round((2 * numLayers) / 3))) };
}

export function presets(numLayers: number, importance: Importance | null): Preset[] {
  const { third, twoThirds } = presetCounts(numLayers);
  const pick = (kind: 'attn' | 'mlp' | 'block', n: number): DropConfig | null => {
    if (!importance) return null;
    const layers = leastImportant(importance[kind], n);
    if (kind === 'attn') return sortedDrops({ attn: layers, mlp: [] });
    if (kind === 'mlp') return sortedDrops({ attn: [], mlp: layers });
    return sortedDrops({ attn: layers, mlp: layers });
  };
  return [
    { id: 'full', label: 'Full model', drop: { attn: [], mlp: [] } },
    { id: 'attn-third', label: `${third} least important attention`, drop: pick('attn', third) },
    { id: 'attn-two-thirds', label: `${twoThirds} least important attention`, drop: pick('attn', twoThirds) },
    { id: 'mlp-third', label: `${third} least important MLP`, drop: pick('mlp', third) },
    { id: 'block-third', label: `${third} least important blocks`, drop: pick('block', third) },
  ];
}

// ---------------------------------------------------------------------------------------------------
// The slice.

export interface ClassroomSlice {
  classroom: { on: boolean; tour: TourState };
  setClassroom(on: boolean): void;
  tour(a: TourAction): void;
}

type SetState<S> = (partial: Partial<S> | ((s: S) => Partial<S>)) => void;

export function createClassroomSlice<S extends ClassroomSlice>(set: SetState<S>): ClassroomSlice {
  return {
    classroom: { on: false, tour: TOUR_CLOSED },
    setClassroom: (on) =>
      set(
        (s) =>
          ({ classroom: { on, tour: on ? s.classroom.tour : { ...s.classroom.tour, open: false } } }) as Partial<S>,
      ),
    tour: (a) => set((s) => ({ classroom: { ...s.classroom, tour: tourReducer(s.classroom.tour, a) } }) as Partial<S>),
  };
}
