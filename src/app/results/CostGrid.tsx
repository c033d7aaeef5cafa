/** What a drop configuration saves (src/state/cost.ts): parameters, FLOPs per token and KV cache, full vs kept. */
import type { CostSummary } from '../../state/cost';
import { formatBytes, formatCount, formatPercent } from '../format';

const rel = (kept: number, full: number) => (full > 0 ? formatPercent(kept / full - 1) : '—');

/** `idPrefix` names the values' test ids (`${idPrefix}-params`, -flops, -kv); `testId` the list's. */
export function CostGrid({ c, idPrefix, testId }: { c: CostSummary; idPrefix: string; testId?: string }) {
  return (
    <dl className="cost-grid" data-testid={testId}>
      <div>
        <dt>Parameters removed</dt>
        <dd data-testid={`${idPrefix}-params`}>
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
        <dd data-testid={`${idPrefix}-flops`}>
          {formatCount(c.flopsKept)} <small>{rel(c.flopsKept, c.flopsFull)}</small>
        </dd>
      </div>
      <div>
        <dt title="Keys and values of the kept attention layers, counted in fp16 as a deployment usually stores them. Generate, Speed and Export show the exported graph run here, which keeps them in float32 (twice this).">
          KV cache (fp16 deployment)
        </dt>
        <dd data-testid={`${idPrefix}-kv`}>
          {formatBytes(c.kvBytesPerTokenKept)}/token <small>{rel(c.kvBytesPerTokenKept, c.kvBytesPerTokenFull)}</small>
          <span className="sub">
            {formatBytes(c.kvBytesPerTokenKept * c.context)} at {c.context} tokens
          </span>
        </dd>
      </div>
    </dl>
  );
}
