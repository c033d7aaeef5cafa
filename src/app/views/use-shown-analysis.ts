import { useMemo } from 'react';
import type { AnalysisResult } from '../../engine/api';
import { dropKey } from '../../state/drops';
import { useWorkbench } from '../context';

/** The analysis of the current drops, else the latest one (stale). Stable between renders. */
export function useShownAnalysis(): { analysis: AnalysisResult; stale: boolean } | null {
  const drops = useWorkbench((s) => s.drops.current);
  const analyses = useWorkbench((s) => s.results.analyses);
  return useMemo(() => {
    const exact = analyses[dropKey(drops)];
    if (exact) return { analysis: exact, stale: false };
    const all = Object.values(analyses);
    return all.length ? { analysis: all[all.length - 1], stale: true } : null;
  }, [drops, analyses]);
}
