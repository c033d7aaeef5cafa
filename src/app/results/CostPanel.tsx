/** Parameters removed, FLOPs per token and KV-cache memory of the current drops (src/state/cost.ts). */
import { useMemo } from 'react';
import { costSummary } from '../../state/cost';
import { useWorkbench } from '../context';
import { CostGrid } from './CostGrid';

export function CostPanel() {
  const spec = useWorkbench((s) => s.model.info?.spec ?? null);
  const drops = useWorkbench((s) => s.drops.current);
  const seqLen = useWorkbench((s) => s.data.seqLen);
  const c = useMemo(() => (spec ? costSummary(spec, drops, seqLen) : null), [spec, drops, seqLen]);
  if (!c) return null;
  return (
    <section className="panel cost-panel" aria-labelledby="cost-title" data-testid="cost-panel">
      <header className="panel-head">
        <h2 id="cost-title">Savings</h2>
        <span className="panel-note">
          {c.keptAttn} attention + {c.keptMlp} MLP sublayers kept
        </span>
      </header>
      <CostGrid c={c} idPrefix="cost" />
    </section>
  );
}
