/** Parameters removed, FLOPs per token and KV-cache memory of the current drops (src/state/cost.ts). */
import { useMemo } from 'react';
import { costSummary } from '../../state/cost';
import { useWorkbench } from '../context';
import { formatBytes, formatCount, formatPercent } from '../format';

export function CostPanel() {
  const spec = useWorkbench((s) => s.model.info?.spec ?? null);
  const drops = useWorkbench((s) => s.drops.current);
  const seqLen = useWorkbench((s) => s.data.seqLen);
  const c = useMemo(() => (spec ? costSummary(spec, drops, seqLen) : null), [spec, drops, seqLen]);
  if (!c) return null;
  const rel = (kept: number, full: number) => (full > 0 ? formatPercent(kept / full - 1) : '—');
  return (
    <section className="panel cost-panel" aria-labelledby="cost-title" data-testid="cost-panel">
      <header className="panel-head">
        <h2 id="cost-title">Savings</h2>
        <span className="panel-note">
          {c.keptAttn} attention + {c.keptMlp} MLP sublayers kept
        </span>
      </header>
      <dl className="cost-grid">
        <div>
          <dt>Parameters removed</dt>
          <dd data-testid="cost-params">
            {formatCount(c.removedParams)}{' '}
            <small>
              of {formatCount(c.totalParams)} ({(c.removedFraction * 100).toFixed(1)}%)
            </small>
          </dd>
        </div>
        <div>
          <dt title={`Forward FLOPs for one token at context ${c.context} (the window length)`}>
            FLOPs / token @ {c.context}
          </dt>
          <dd data-testid="cost-flops">
            {formatCount(c.flopsKept)} <small>{rel(c.flopsKept, c.flopsFull)}</small>
          </dd>
        </div>
        <div>
          <dt title="Keys and values of the kept attention layers, counted in fp16 as a deployment usually stores them. Generate, Speed and Export show the exported graph run here, which keeps them in float32 (twice this).">
            KV cache (fp16 deployment)
          </dt>
          <dd data-testid="cost-kv">
            {formatBytes(c.kvBytesPerTokenKept)}/token{' '}
            <small>{rel(c.kvBytesPerTokenKept, c.kvBytesPerTokenFull)}</small>
            <span className="sub">
              {formatBytes(c.kvBytesPerTokenKept * c.context)} at {c.context} tokens
            </span>
          </dd>
        </div>
      </dl>
    </section>
  );
}
