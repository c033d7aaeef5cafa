/**
 * Imported results (scores of a model analysed elsewhere: a DropLab results file, LLM-Drop's .pt
 * caches) as the workbench holds them: the store slice, and what the view derives from it (pure).
 * They are shown without that model's weights ("results only"); the person picks drops on them
 * (`selection`), and the link and saved experiments keep them (share-results.ts packs them).
 */
import type { DropConfig, ModelSpec } from '../engine/api';
import { specFromConfig } from '../engine/api';
import { leastImportant } from './classroom';
import { sortedDrops } from './drops';
import type { SharedResults } from './share-results';
import type { UiError } from './store';

export interface ImportedSlice {
  imported: {
    shown: SharedResults | null;
    error: UiError | null;
  };
  /** Show these results (null: close them); the error goes. */
  setImported(r: SharedResults | null): void;
  /** The drops picked on the imported heatmap. */
  setImportedSelection(d: DropConfig): void;
  importFailed(e: UiError | null): void;
}

type SetState<S> = (partial: (s: S) => Partial<S>) => void;

export function createImportedSlice<S extends ImportedSlice>(set: SetState<S>): ImportedSlice {
  return {
    imported: { shown: null, error: null },
    setImported: (shown) => set(() => ({ imported: { shown, error: null } }) as Partial<S>),
    setImportedSelection: (d) =>
      set(
        (s) =>
          ({
            imported: {
              ...s.imported,
              shown: s.imported.shown ? { ...s.imported.shown, selection: sortedDrops(d) } : null,
            },
          }) as Partial<S>,
      ),
    importFailed: (error) => set((s) => ({ imported: { ...s.imported, error } }) as Partial<S>),
  };
}

/** The imported model's shape from its config.json (for the cost panel); null without one or if DropLab cannot read it. */
export function importedSpec(r: SharedResults): ModelSpec | null {
  if (!r.config) return null;
  try {
    return specFromConfig(r.config);
  } catch {
    return null;
  }
}

/**
 * LLM-Drop's one-shot choice on the imported scores: the drops the scores were measured with, plus the
 * n sublayers of `kind` with the lowest importance (1 - cos), ties to the lower layer; for 'block',
 * both sublayers of the n lowest blocks.
 */
export function planOnImported(r: SharedResults, kind: 'attn' | 'mlp' | 'block', n: number): DropConfig {
  const imp = r.results.importance;
  const base = r.results.drop;
  const add =
    kind === 'block'
      ? { attn: leastImportant(imp.block ?? [], n), mlp: leastImportant(imp.block ?? [], n) }
      : kind === 'attn'
        ? { attn: leastImportant(imp.attn, n), mlp: [] }
        : { attn: [], mlp: leastImportant(imp.mlp, n) };
  return sortedDrops({ attn: [...base.attn, ...add.attn], mlp: [...base.mlp, ...add.mlp] });
}
